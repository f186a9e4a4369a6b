// The heatmaps' colormaps, matplotlib's `viridis`, `Blues` and `RdBu`, and a readable text colour on them.

/** An sRGB colour, each channel 0..255. */
export type Rgb = [r: number, g: number, b: number];

/** A colormap: `t` in [0, 1] (clamped; NaN reads as 0) to an sRGB colour. */
export type Colormap = (t: number) => Rgb;

const VIRIDIS_HEX = '44015444025645045745055946075a46085c460a5d460b5e470d60470e61471063471164471365481467481668481769' +
  '48186a481a6c481b6d481c6e481d6f481f70482071482173482374482475482576482677482878482979472a7a472c7a' +
  '472d7b472e7c472f7d46307e46327e46337f463480453581453781453882443983443a83443b84433d84433e85423f85' +
  '4240864241864142874144874045884046883f47883f48893e49893e4a893e4c8a3d4d8a3d4e8a3c4f8a3c508b3b518b' +
  '3b528b3a538b3a548c39558c39568c38588c38598c375a8c375b8d365c8d365d8d355e8d355f8d34608d34618d33628d' +
  '33638d32648e32658e31668e31678e31688e30698e306a8e2f6b8e2f6c8e2e6d8e2e6e8e2e6f8e2d708e2d718e2c718e' +
  '2c728e2c738e2b748e2b758e2a768e2a778e2a788e29798e297a8e297b8e287c8e287d8e277e8e277f8e27808e26818e' +
  '26828e26828e25838e25848e25858e24868e24878e23888e23898e238a8d228b8d228c8d228d8d218e8d218f8d21908d' +
  '21918c20928c20928c20938c1f948c1f958b1f968b1f978b1f988b1f998a1f9a8a1e9b8a1e9c891e9d891f9e891f9f88' +
  '1fa0881fa1881fa1871fa28720a38620a48621a58521a68522a78522a88423a98324aa8325ab8225ac8226ad8127ad81' +
  '28ae8029af7f2ab07f2cb17e2db27d2eb37c2fb47c31b57b32b67a34b67935b77937b87838b9773aba763bbb753dbc74' +
  '3fbc7340bd7242be7144bf7046c06f48c16e4ac16d4cc26c4ec36b50c46a52c56954c56856c66758c7655ac8645cc863' +
  '5ec96260ca6063cb5f65cb5e67cc5c69cd5b6ccd5a6ece5870cf5773d05675d05477d1537ad1517cd2507fd34e81d34d' +
  '84d44b86d54989d5488bd6468ed64590d74393d74195d84098d83e9bd93c9dd93ba0da39a2da37a5db36a8db34aadc32' +
  'addc30b0dd2fb2dd2db5de2bb8de29bade28bddf26c0df25c2df23c5e021c8e020cae11fcde11dd0e11cd2e21bd5e21a' +
  'd8e219dae319dde318dfe318e2e418e5e419e7e419eae51aece51befe51cf1e51df4e61ef6e620f8e621fbe723fde725';

const BLUES_STOPS: readonly Rgb[] = ['f7fbff', 'deebf7', 'c6dbef', '9ecae1', '6baed6', '4292c6', '2171b5', '08519c',
  '08306b'].map(hexToRgb);

/**
 * ColorBrewer's `RdBu`, 11 stops: dark red, through a neutral light grey at the centre, to dark blue (colour-blind
 * safe: red and blue differ in lightness as well as hue).
 */
const RDBU_STOPS: readonly Rgb[] = ['67001f', 'b2182b', 'd6604d', 'f4a582', 'fddbc7', 'f7f7f7', 'd1e5f0', '92c5de',
  '4393c3', '2166ac', '053061'].map(hexToRgb);

let viridisTable: Uint8Array | undefined;

function hexToRgb(hex: string): Rgb {
  return [parseInt(hex.slice(0, 2), 16), parseInt(hex.slice(2, 4), 16), parseInt(hex.slice(4, 6), 16)];
}

const clamp01 = (t: number): number => (t > 0 ? (t < 1 ? t : 1) : 0);

/** matplotlib's viridis, dark purple (0) to yellow (1), from its exact 256-entry table. */
export function viridis(t: number): Rgb {
  viridisTable ??= Uint8Array.from({ length: 768 }, (_, i) => parseInt(VIRIDIS_HEX.slice(2 * i, 2 * i + 2), 16));
  const i = Math.min(255, Math.floor(clamp01(t) * 256)) * 3;
  return [viridisTable[i]!, viridisTable[i + 1]!, viridisTable[i + 2]!];
}

/** `t` in [0, 1] along `stops`, linearly interpolated. */
function interpolate(stops: readonly Rgb[], t: number): Rgb {
  const x = clamp01(t) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [stops[i]!, stops[i + 1]!];
  return a.map((v, k) => Math.round(v + (b[k]! - v) * f)) as Rgb;
}

/** matplotlib's `Blues`, near-white (0) to dark blue (1): ColorBrewer's 9 stops, linearly interpolated. */
export function blues(t: number): Rgb {
  return interpolate(BLUES_STOPS, t);
}

/**
 * matplotlib's diverging `RdBu`: dark red (0), neutral `#f7f7f7` (0.5), dark blue (1); ColorBrewer's 11 stops,
 * linearly interpolated. Centre a signed value v at 0 with t = 0.5 + v / (2 max |v|).
 */
export function rdbu(t: number): Rgb {
  return interpolate(RDBU_STOPS, t);
}

/** WCAG relative luminance of an sRGB colour, 0 (black) to 1 (white). Self-contained: the HTML page embeds it. */
export function relativeLuminance([r, g, b]: Rgb): number {
  const lin = (c: number): number => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** Black or white, whichever has the higher WCAG contrast ratio against the background colour. */
export function textColorOn(background: Rgb): '#000' | '#fff' {
  const l = relativeLuminance(background);
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? '#000' : '#fff';
}

/** A colour as CSS hex, `#rrggbb`. */
export function rgbToHex([r, g, b]: Rgb): string {
  return `#${((1 << 24) | (r << 16) | (g << 8) | b).toString(16).slice(1)}`;
}

/** The colormap called `name`. */
export function colormapByName(name: 'viridis' | 'blues' | 'rdbu'): Colormap {
  return name === 'blues' ? blues : name === 'rdbu' ? rdbu : viridis;
}
