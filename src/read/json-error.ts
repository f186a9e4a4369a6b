/**
 * Where a JSON text stops being valid, for error messages: V8's `JSON.parse` messages give a
 * position for some errors only ("Unexpected token" gives none) and quote the whole text.
 *
 * @module
 */

/**
 * Index of the first character where `t` stops being valid JSON (t.length when it ends too soon); -1 when it is valid.
 */
function errorOffset(t: string): number {
  let i = 0;
  const ws = (): void => {
    while (i < t.length && ' \t\n\r'.includes(t[i]!)) i++;
  };
  const eat = (c: string): boolean => {
    if (t[i] !== c) return false;
    i++;
    return true;
  };
  const str = (): boolean => {
    if (!eat('"')) return false;
    while (i < t.length) {
      const c = t[i]!;
      if (c === '"') return eat('"');
      if (c < ' ') return false;
      if (c === '\\') {
        const m = /^\\(["\\/bfnrt]|u[0-9a-fA-F]{4})/.exec(t.slice(i, i + 6));
        if (!m) return false;
        i += m[0].length;
      } else i++;
    }
    return false;
  };
  const list = (close: string, item: () => boolean): boolean => {
    i++;
    ws();
    if (eat(close)) return true;
    for (;;) {
      if (!item()) return false;
      ws();
      if (eat(close)) return true;
      if (!eat(',')) return false;
      ws();
    }
  };
  const member = (): boolean => {
    if (!str()) return false;
    ws();
    return eat(':') && value();
  };
  const value = (): boolean => {
    ws();
    if (t[i] === '{') return list('}', member);
    if (t[i] === '[') return list(']', value);
    if (t[i] === '"') return str();
    const m = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?|true|false|null)/.exec(t.slice(i, i + 400));
    if (!m) return false;
    i += m[0].length;
    return true;
  };
  const ok = value();
  ws();
  return ok && i === t.length ? -1 : i;
}

/**
 * @internal The character offset of the first JSON syntax error in `text` and a short description
 * taken from the error `JSON.parse(text)` threw (without the quoted text or its position).
 */
export function jsonSyntaxError(text: string, e: unknown): { at: number; detail: string } {
  const at = errorOffset(text);
  const message = e instanceof Error ? e.message : String(e);
  const detail = message.replace(/, ".*$/s, '').replace(/ at position \d+.*$/s, '').replace(/ in JSON$/, '');
  return { at: Math.max(0, at), detail };
}

/** The deepest nesting of arrays and objects a JSON file confmat reads may have (states and reports need 5). */
export const MAX_JSON_DEPTH = 64;

/**
 * @internal Where `text` nests arrays and objects deeper than `maxDepth` (`at` in characters, `byte` in
 * UTF-8 bytes, of the bracket opening level `maxDepth + 1`), by counting brackets outside strings; else
 * undefined. Run it before `JSON.parse`, whose deep values overflow the stack of the code that walks them.
 */
export function jsonTooDeep(text: string, maxDepth = MAX_JSON_DEPTH): { at: number; byte: number; detail: string }
  | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) {
        return { at: i, byte: new TextEncoder().encode(text.slice(0, i)).length,
          detail: `JSON nested deeper than ${maxDepth} levels` };
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return undefined;
}
