// The size budget of every plot: the heatmap keeps within it by its layout, the charts by maxChartRows.

/** The longest side of a plot in px (browsers and image viewers handle 16384). */
export const MAX_PLOT_SIDE = 16384;
/** The most pixels in a plot: 40 million, 160 MB of RGBA. */
export const MAX_PLOT_PIXELS = 40_000_000;

/** The width and height of an SVG's root element, from its `width` and `height` attributes. */
export function svgSize(svg: string): { width: number; height: number } | undefined {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0];
  const width = Number(root && /\swidth="([\d.]+)"/.exec(root)?.[1]);
  const height = Number(root && /\sheight="([\d.]+)"/.exec(root)?.[1]);
  return width > 0 && height > 0 ? { width, height } : undefined;
}

/** Whether a `width` x `height` image is within {@link MAX_PLOT_SIDE} and {@link MAX_PLOT_PIXELS}. */
export function withinPlotBudget(width: number, height: number): boolean {
  return width <= MAX_PLOT_SIDE && height <= MAX_PLOT_SIDE && width * height <= MAX_PLOT_PIXELS;
}

/** The width to rasterize `svg` at to keep its PNG within the budget; undefined when its own size does. */
export function pngWidthWithin(svg: string): number | undefined {
  const size = svgSize(svg);
  if (!size || withinPlotBudget(Math.ceil(size.width), Math.ceil(size.height))) return undefined;
  const { width, height } = size;
  const scale = Math.min(MAX_PLOT_SIDE / width, MAX_PLOT_SIDE / height, Math.sqrt(MAX_PLOT_PIXELS / (width * height)));
  return Math.max(1, Math.floor(width * scale) - 1);
}

/** How many rows of `rowHeight` px fit under `chrome` px within {@link MAX_PLOT_SIDE} (at least one). */
export function maxChartRows(rowHeight: number, chrome: number): number {
  return Math.max(1, Math.floor((MAX_PLOT_SIDE - chrome) / rowHeight));
}
