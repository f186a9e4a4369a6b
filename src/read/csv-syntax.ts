// CSV syntax shared by the Node reader (src/read/csv.ts) and the demo page's in-memory parser
// (web/parse-csv.ts): no Node imports.

/**
 * How fields are separated: one delimiter character, `'whitespace'` (runs of
 * spaces and tabs, as `np.savetxt` writes by default), or `'none'` (one column).
 *
 * @example
 * const d: CsvDelimiter = '\t';
 */
export type CsvDelimiter = ',' | '\t' | ';' | 'whitespace' | 'none';

const NAN_WORDS = new Set(['nan', '+nan', '-nan']);
const INF_WORDS = new Map([['inf', Infinity], ['+inf', Infinity], ['-inf', -Infinity], ['infinity', Infinity], [
  '+infinity',
  Infinity,
], ['-infinity', -Infinity]]);

/**
 * Parses a decimal number as written by numpy, pandas or Python: `1`, `-2.5`,
 * `.5`, `1e-3`, `nan`, `inf`, `-Infinity` (case-insensitive words),
 * surrounding spaces allowed. Returns undefined for anything else (empty,
 * hex, `1,5`, text).
 *
 * @example
 * parseCsvNumber(' 1.5e2 '); // 150
 * parseCsvNumber('-inf');    // -Infinity
 * parseCsvNumber('0x10');    // undefined
 */
export function parseCsvNumber(field: string): number | undefined {
  const t = field.trim();
  if (t === '') return undefined;
  const v = Number(t);
  if (!Number.isNaN(v)) {
    if (t.length > 1 && t[0] === '0' && /[xXbBoO]/.test(t[1]!)) return undefined;
    return v;
  }
  const w = t.toLowerCase();
  if (NAN_WORDS.has(w)) return NaN;
  return INF_WORDS.get(w);
}

/**
 * Picks the delimiter from the first line: a tab, else `;`, else `,` (outside quotes), else whitespace between tokens,
 * else none.
 *
 * @example
 * detectDelimiter('a;b;c'); // ';'
 */
export function detectDelimiter(text: string): CsvDelimiter {
  let inQuote = false;
  const seen = new Set<string>();
  for (const c of text) {
    if (c === '"') inQuote = !inQuote;
    else if (!inQuote && (c === '\t' || c === ';' || c === ',')) seen.add(c);
  }
  if (seen.has('\t')) return '\t';
  if (seen.has(';')) return ';';
  if (seen.has(',')) return ',';
  return /\S[ ]+\S/.test(text.trim()) ? 'whitespace' : 'none';
}
