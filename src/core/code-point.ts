/** Orders strings by code point, as numpy sorts str (`<` on JS strings compares UTF-16 units). */
export function byCodePoint(a: string, b: string): number {
  let i = 0;
  for (; i < a.length && i < b.length; i += a.codePointAt(i)! > 0xffff ? 2 : 1) {
    const [x, y] = [a.codePointAt(i)!, b.codePointAt(i)!];
    if (x !== y) return x - y;
  }
  return (a.length - i) - (b.length - i);
}
