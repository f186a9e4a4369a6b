import { Resvg } from '@resvg/resvg-js';

/**
 * Rasterizes an SVG (such as `renderHeatmapSvg`'s) to PNG bytes with resvg, using the system fonts
 * (DejaVu Sans by default, the heatmaps' font). Node only.
 *
 * @param options.width output width in px (height follows the aspect ratio); default the SVG's own size
 * @example
 * import { writeFileSync } from 'node:fs';
 * writeFileSync('cm.png', svgToPng(renderHeatmapSvg(counts, 10), { width: 1200 }));
 */
export function svgToPng(svg: string, options: { width?: number } = {}): Uint8Array {
  const { width } = options;
  if (width !== undefined && !(Number.isInteger(width) && width > 0)) throw new RangeError(`width must be a positive integer, got ${width}`);
  const resvg = new Resvg(svg, {
    fitTo: width === undefined ? { mode: 'original' } : { mode: 'width', value: width },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  const png = resvg.render().asPng();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
