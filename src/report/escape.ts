// Escaping of names for every report writer: one visible form (visibleText), then each format's quoting.

const LONE_SURROGATE = String.raw`|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]`;
const UNSAFE = new RegExp(
  String.raw`[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufffe\uffff]` + LONE_SURROGATE,
  'g',
);
const XML_FORBIDDEN = new RegExp(String.raw`[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]` + LONE_SURROGATE,
  'g');
const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The visible escape of one UTF-16 code unit: `\xHH` below U+0100, else `\uHHHH`. */
function visibleEscape(ch: string): string {
  const code = ch.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * A name safe to show: C0 / C1 controls, DEL, bidi controls, U+2028 / U+2029, lone surrogates and U+FFFE / U+FFFF
 * become visible escapes; everything else is kept. Idempotent.
 */
export function visibleText(text: string): string {
  return text.replace(UNSAFE, visibleEscape);
}

/** Text for XML / HTML content and attributes: `& < > " '` as entities, characters XML 1.0 forbids as escapes. */
export function escapeXml(text: string): string {
  return text.replace(XML_FORBIDDEN, visibleEscape).replace(/[&<>"']/g, (ch) => XML_ENTITIES[ch]!);
}

/** A name as the text of an SVG or HTML element: {@link visibleText}, then {@link escapeXml}. */
export function xmlName(text: string): string {
  return escapeXml(visibleText(text));
}

/** Text for a Markdown table cell: {@link visibleText}, then a backslash before each markup character and `|`. */
export function markdownText(text: string): string {
  return visibleText(text).replace(/[\\`*_[\]<>&|~]/g, '\\$&');
}

const PLAIN_NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** One CSV field (RFC 4180); text a spreadsheet would run as a formula (OWASP's list) gets a leading `'`. */
export function csvField(value: string | number): string {
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s) && !PLAIN_NUMBER.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** JSON for the body of an HTML `<script>` element: `<`, U+2028 and U+2029 written as `\u` escapes. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<\u2028\u2029]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The first `max` code points of `text`, the last one an ellipsis when it is cut. */
export function clipText(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, Math.max(1, max - 1)).join('').trimEnd()}…`;
}
