// A hand-written SVG chart: throughput (million predictions/s, log scale) against N (log scale),
// one panel per class count C, one line per path, floors dashed, one shared legend.

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22',
  '#393b79', '#637939', '#843c39', '#7b4173'];
const FLOOR_DASH = ['6 3', '2 3', '8 3 2 3', '1 2'];

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmtPow = (e) => (e >= 0 && e <= 3 ? String(10 ** e) : `1e${e}`);

/**
 * Renders rows `{ path, kind, n, c, mPredPerS }` as an SVG document.
 * @example
 * writeFileSync('bench.svg', renderChart(rows, { title: 'confmat bench', subtitle: 'SwiftShader, 2 cores' }));
 */
export function renderChart(rows, { title, subtitle }) {
  const data = rows.filter((r) => r.mPredPerS > 0 && Number.isFinite(r.mPredPerS));
  const cs = [...new Set(data.map((r) => r.c))].sort((a, b) => a - b);
  const paths = [...new Set(data.map((r) => r.path))];
  const floors = paths.filter((p) => data.find((r) => r.path === p).kind === 'floor');
  const style = new Map();
  let color = 0;
  for (const p of paths) {
    const f = floors.indexOf(p);
    style.set(p, f >= 0 ?
      { stroke: '#555', dash: FLOOR_DASH[f % FLOOR_DASH.length] } :
      { stroke: PALETTE[color++ % PALETTE.length], dash: '' });
  }
  const logN = data.map((r) => Math.log10(r.n));
  const logY = data.map((r) => Math.log10(r.mPredPerS));
  const [x0, x1] = [Math.floor(Math.min(...logN)), Math.ceil(Math.max(...logN))];
  const [y0, y1] = [Math.floor(Math.min(...logY)), Math.ceil(Math.max(...logY))];
  const cols = Math.min(cs.length, 2);
  const panelW = 440, panelH = 300, pad = { l: 64, r: 16, t: 34, b: 46 };
  const top = 62;
  const legendRows = Math.ceil(paths.length / 2);
  const width = cols * panelW + 20;
  const height = top + Math.ceil(cs.length / cols) * panelH + 24 + legendRows * 20 + 10;
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
  );
  out.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  out.push(`<text x="${width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${esc(title)}</text>`);
  out.push(`<text x="${width / 2}" y="44" text-anchor="middle" fill="#444">${esc(subtitle)}</text>`);
  cs.forEach((c, k) => {
    const ox = 10 + (k % cols) * panelW;
    const oy = top + Math.floor(k / cols) * panelH;
    const w = panelW - pad.l - pad.r, h = panelH - pad.t - pad.b;
    const X = (n) => ox + pad.l + ((Math.log10(n) - x0) / Math.max(1, x1 - x0)) * w;
    const Y = (v) => oy + pad.t + h - ((Math.log10(v) - y0) / Math.max(1, y1 - y0)) * h;
    out.push(
      `<g><text x="${ox + pad.l + w / 2}" y="${oy + 20}" text-anchor="middle" font-weight="bold">C = ${c}</text>`,
    );
    out.push(`<rect x="${ox + pad.l}" y="${oy + pad.t}" width="${w}" height="${h}" fill="none" stroke="#999"/>`);
    for (let e = x0; e <= x1; e++) {
      const x = X(10 ** e);
      out.push(
        `<line x1="${x}" y1="${oy + pad.t}" x2="${x}" y2="${oy + pad.t + h}" stroke="#eee"/><text x="${x}" y="${
          oy + pad.t + h + 16
        }" text-anchor="middle">1e${e}</text>`,
      );
    }
    for (let e = y0; e <= y1; e++) {
      const y = Y(10 ** e);
      out.push(
        `<line x1="${ox + pad.l}" y1="${y}" x2="${ox + pad.l + w}" y2="${y}" stroke="#eee"/><text x="${
          ox + pad.l - 6
        }" y="${y + 4}" text-anchor="end">${fmtPow(e)}</text>`,
      );
    }
    out.push(`<text x="${ox + pad.l + w / 2}" y="${oy + panelH - 10}" text-anchor="middle">N (rows, log scale)</text>`);
    out.push(
      `<text transform="translate(${ox + 16} ${
        oy + pad.t + h / 2
      }) rotate(-90)" text-anchor="middle">million predictions / s (log)</text>`,
    );
    for (const p of paths) {
      const pts = data.filter((r) => r.path === p && r.c === c).sort((a, b) => a.n - b.n);
      if (!pts.length) continue;
      const s = style.get(p);
      const d = pts.map((r, i) => `${i ? 'L' : 'M'}${X(r.n).toFixed(1)},${Y(r.mPredPerS).toFixed(1)}`).join(' ');
      out.push(
        `<path d="${d}" fill="none" stroke="${s.stroke}" stroke-width="2"${
          s.dash ? ` stroke-dasharray="${s.dash}"` : ''
        }><title>${esc(p)}</title></path>`,
      );
      for (const r of pts) {
        out.push(
          `<circle cx="${X(r.n).toFixed(1)}" cy="${Y(r.mPredPerS).toFixed(1)}" r="3" fill="${s.stroke}"><title>${
            esc(`${p}: N=${r.n}, C=${c}, ${r.mPredPerS.toPrecision(3)} M pred/s`)
          }</title></circle>`,
        );
      }
    }
    out.push('</g>');
  });
  const ly = top + Math.ceil(cs.length / cols) * panelH + 20;
  paths.forEach((p, i) => {
    const s = style.get(p);
    const x = 20 + (i % 2) * (width / 2);
    const y = ly + Math.floor(i / 2) * 20;
    out.push(
      `<line x1="${x}" y1="${y}" x2="${x + 28}" y2="${y}" stroke="${s.stroke}" stroke-width="2"${
        s.dash ? ` stroke-dasharray="${s.dash}"` : ''
      }/><circle cx="${x + 14}" cy="${y}" r="3" fill="${s.stroke}"/><text x="${x + 36}" y="${y + 4}">${esc(p)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
