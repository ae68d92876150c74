/**
 * Tag values as stored. InfluxDB's line-protocol parser treats any backslash as escaping the byte
 * after it and never unescapes `\\`, so a tag value with a backslash before a comma, space, `=` or
 * its end (`x\`) cannot be written at all, escaped or not. Backslashes in the `system` and `name`
 * tags are therefore stored percent-encoded (`\` → `%5C`, and `%` → `%25` so that decoding is
 * exact), and decoded on the way out; queries compare against the encoded form. Only names that
 * contain `\` or `%` look different in Grafana.
 */
export const encodeTag = (value: string): string =>
  value.replace(/[%\\]/g, (c) => (c === "%" ? "%25" : "%5C"));
export const decodeTag = (value: string): string =>
  value.replace(/%(25|5C)/g, (m) => (m === "%25" ? "%" : "\\"));

/** UTF-16 unit → a number in code-point order (surrogates above U+E000–U+FFFF). */
const shift = (c: number): number => (c >= 0xe000 ? c - 0x800 : c >= 0xd800 ? c + 0x2000 : c);

/**
 * Code-point order (what InfluxDB and SQLite sort strings by: UTF-8 bytes). JavaScript's `<`
 * compares UTF-16 units, which puts U+10000 and above before U+E000–U+FFFF.
 */
export function byCodePoint(a: string, b: string): number {
  // Stryker disable next-line ConditionalExpression: equivalent in results because equal strings run the loop to the end and give length - length = 0 (a fast path)
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return shift(x) - shift(y);
  }
  return a.length - b.length;
}
