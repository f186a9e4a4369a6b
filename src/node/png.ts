import { createRequire } from 'node:module';
import { InputError } from '../core/errors.js';
import { firstLine } from './fs-reason.js';

type ResvgModule = typeof import('@resvg/resvg-js');
let resvg: ResvgModule | undefined;

/**
 * Loads the PNG renderer (the optional native `@resvg/resvg-js`) on first use; an {@link InputError} without it.
 *
 * @example
 * if (plot.endsWith('.png')) loadPngRenderer(); // before any work
 */
export function loadPngRenderer(): void {
  if (resvg) return;
  try {
    resvg = createRequire(import.meta.url)('@resvg/resvg-js') as ResvgModule;
  } catch (e) {
    const reason = firstLine(e);
    throw new InputError('plot',
      `PNG output needs the optional package @resvg/resvg-js, which could not be loaded (${reason}); write .svg or ` +
        `.html instead`);
  }
}

/**
 * Rasterizes an SVG to PNG bytes with resvg and the system fonts, `width` px wide (default: the SVG's own size).
 *
 * @example
 * writeFileSync('cm.png', svgToPng(renderHeatmapSvg(counts, 10), { width: 1200 }));
 */
export function svgToPng(svg: string, options: { width?: number } = {}): Uint8Array {
  const { width } = options;
  if (width !== undefined && !(Number.isInteger(width) && width > 0)) {
    throw new RangeError(`width must be a positive integer, got ${width}`);
  }
  loadPngRenderer();
  const { Resvg } = resvg!;
  const image = new Resvg(svg, { fitTo: width === undefined ? { mode: 'original' } : { mode: 'width', value: width },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } });
  const png = image.render().asPng();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
