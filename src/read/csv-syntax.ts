// CSV syntax shared by the Node reader (src/read/csv.ts) and the demo page's in-memory parser
// (web/parse-csv.ts): no Node imports.

/**
 * How fields are separated: one delimiter character, `'whitespace'` (runs of spaces and tabs, as
 * `np.savetxt` writes by default), or `'none'` (one column).
 */
export type CsvDelimiter = ',' | '\t' | ';' | 'whitespace' | 'none';

const WORDS = new Map([['nan', NaN], ['inf', Infinity], ['infinity', Infinity]]);

/**
 * Parses a decimal number as numpy, pandas or Python write it (`1`, `-2.5`, `.5`, `1e-3`, `nan`, `inf`,
 * `-Infinity`, words in any case; surrounding spaces allowed); undefined for anything else (empty, hex, `1,5`).
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
  const word = WORDS.get(w.replace(/^[-+]/, ''));
  return word !== undefined && w[0] === '-' ? -word : word;
}

/** Picks the delimiter from the first line: a tab, else `;`, else `,` (outside quotes), else whitespace, else none. */
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
