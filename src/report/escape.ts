/**
 * Escaping of text from files (class and label names) for every report writer: the terminal table,
 * Markdown, CSV, SVG / PNG and HTML. Isomorphic.
 *
 * One visible form serves all human-readable outputs ({@link visibleText}): C0 and C1 controls, DEL,
 * the bidi controls, U+2028 / U+2029, lone surrogates and U+FFFE / U+FFFF are written as `\x1b` or
 * `\u202e`, so a name can neither drive a terminal (ESC / OSC sequences), reorder the text around it,
 * nor make an SVG that XML parsers refuse. Each format then adds its own quoting on top.
 *
 * @module
 */

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const XML_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * The visible escape of one UTF-16 code unit: `\xHH` below U+0100, else `\uHHHH` (lower-case hex).
 *
 * @example
 * visibleEscape('\x1b'); // '\\x1b'
 * visibleEscape('\u202e'); // '\\u202e'
 */
export function visibleEscape(ch: string): string {
  const code = ch.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * A name made safe to show: C0 controls (tab and line breaks too), DEL, C1 controls, the bidi
 * controls (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069), U+2028 / U+2029, lone surrogates
 * and U+FFFE / U+FFFF become visible escapes. Everything else, backslashes included, is kept.
 * Idempotent: its output holds none of those characters.
 *
 * @example
 * visibleText('\x1b[31mred'); // '\\x1b[31mred' (shown as \x1b[31mred)
 * visibleText('abc\u202edef'); // 'abc\\u202edef'
 */
export function visibleText(text: string): string {
  return text.replace(UNSAFE, visibleEscape);
}

/**
 * Escapes text for XML / HTML content and attribute values: `& < > " '` as entities, and the
 * characters XML 1.0 forbids (C0 controls but tab, LF and CR; lone surrogates; U+FFFE, U+FFFF) as
 * visible escapes, so the result is always well-formed. Names go through {@link visibleText} first.
 *
 * @example
 * escapeXml('<cat & "dog">'); // '&lt;cat &amp; &quot;dog&quot;&gt;'
 * escapeXml('a\x00b'); // 'a\\x00b'
 */
export function escapeXml(text: string): string {
  return text.replace(XML_FORBIDDEN, visibleEscape).replace(/[&<>"']/g, (ch) => XML_ENTITIES[ch]!);
}

/**
 * A name as the text of an SVG or HTML element: {@link visibleText}, then {@link escapeXml}.
 *
 * @example
 * xmlName('</script>\x07'); // '&lt;/script&gt;\\x07'
 */
export function xmlName(text: string): string {
  return escapeXml(visibleText(text));
}

/**
 * Text for a Markdown table cell: {@link visibleText} (line breaks included), then a backslash
 * before each backslash and each character Markdown would read as markup or as a cell border
 * (`` \ ` * _ [ ] < > & | ~ ``), so the cell renders as the text itself.
 *
 * @example
 * markdownText('a|b\\|c'); // 'a\\|b\\\\\\|c', rendered a|b\|c
 * markdownText('<b>x</b>'); // '\\<b\\>x\\</b\\>'
 */
export function markdownText(text: string): string {
  return visibleText(text).replace(/[\\`*_[\]<>&|~]/g, '\\$&');
}

const PLAIN_NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break, quotes doubled.
 * A text that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, tab or CR,
 * as OWASP lists) gets a leading `'`; numbers, and text that is a plain number such as `-1`, do not.
 *
 * @example
 * csvField('=HYPERLINK("http://x")'); // '"\'=HYPERLINK(""http://x"")"'
 * csvField(-0.5); // '-0.5'
 * csvField('a,b'); // '"a,b"'
 */
export function csvField(value: string | number): string {
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s) && !PLAIN_NUMBER.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * JSON for the body of an HTML `<script>` element: `<` (so no `</script>` or `<!--`), U+2028 and
 * U+2029 written as `\u` escapes; it parses back to the same value.
 *
 * @example
 * jsonForScript({ name: '</script>' }); // '{"name":"\\u003c/script>"}'
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The first `max` code points of `text`, the last one an ellipsis when it is cut (never half a
 * surrogate pair, no space before the ellipsis).
 *
 * @example
 * clipText('a very long name', 6); // 'a ver…'
 * clipText('a very long name', 8); // 'a very…'
 */
export function clipText(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, Math.max(1, max - 1)).join('').trimEnd()}…`;
}
