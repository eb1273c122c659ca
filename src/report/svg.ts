/**
 * Small inline SVG charts for the HTML report: no script, no external font or stylesheet, so the
 * file reads the same attached to a post-mortem years later. Every text that reaches the markup
 * goes through `escapeXml` (app ids and reasons are user data).
 */

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Colour-blind-safe palette (Okabe–Ito), cycled for the stacked series. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];

const W = 640;
const H = 220;
const PAD = { left: 56, right: 16, top: 16, bottom: 40 };
const PLOT_W = W - PAD.left - PAD.right;
const PLOT_H = H - PAD.top - PAD.bottom;

const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));

function frame(title: string, body: string, extraHeight = 0): string {
  return (
    `<svg class="chart" role="img" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H + extraHeight}" width="${W}" height="${H + extraHeight}">` +
    `<title>${escapeXml(title)}</title>${body}</svg>`
  );
}

/** A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten, at least `max`. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

/** Gridlines at 0, half and the top; counts get no half-way line at a fraction (2.5 tasks). */
function yAxis(top: number, unit: string, counts = false): string {
  const ticks = [0, 0.5, 1].filter((f) => !counts || Number.isInteger(top * f)).map((f) => {
    const y = PAD.top + PLOT_H - f * PLOT_H;
    return `<line x1="${PAD.left}" x2="${PAD.left + PLOT_W}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${PAD.left - 6}" y="${y + 4}" text-anchor="end" font-size="11">${fmt(top * f)}</text>`;
  });
  return `${ticks.join('')}<text x="12" y="${PAD.top + PLOT_H / 2}" font-size="11" transform="rotate(-90 12 ${PAD.top + PLOT_H / 2})" text-anchor="middle">${escapeXml(unit)}</text>`;
}

function xLabels(labels: readonly string[], xOf: (i: number) => number): string {
  // At most ~8 labels, or they overlap.
  const step = Math.max(1, Math.ceil(labels.length / 8));
  return labels
    .map((l, i) => (i % step === 0 || i === labels.length - 1 ? `<text x="${xOf(i)}" y="${H - PAD.bottom + 16}" text-anchor="middle" font-size="11">${escapeXml(l)}</text>` : ''))
    .join('');
}

export interface Point {
  /** Epoch ms. */
  t: number;
  y: number;
  label: string;
}

/** Time to recover over time: one dot per recovery, x by instant, y in seconds. */
export function scatterChart(title: string, points: readonly Point[], unit: string): string {
  if (points.length === 0) return '';
  const t0 = Math.min(...points.map((p) => p.t));
  const t1 = Math.max(...points.map((p) => p.t));
  const span = t1 - t0 || 1;
  const top = niceMax(Math.max(...points.map((p) => p.y)));
  const x = (t: number): number => PAD.left + (points.length === 1 ? PLOT_W / 2 : ((t - t0) / span) * PLOT_W);
  const y = (v: number): number => PAD.top + PLOT_H - (v / top) * PLOT_H;
  const dots = points
    .map((p) => `<circle class="point" cx="${x(p.t).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="3.5" fill="${PALETTE[0]}"><title>${escapeXml(p.label)}</title></circle>`)
    .join('');
  const stamp = (t: number): string => escapeXml(new Date(t).toISOString().slice(0, 16).replace('T', ' '));
  const axis =
    points.length === 1 || t0 === t1
      ? `<text x="${x(t0)}" y="${H - PAD.bottom + 16}" text-anchor="middle" font-size="11">${stamp(t0)}</text>`
      : `<text x="${PAD.left}" y="${H - PAD.bottom + 16}" text-anchor="start" font-size="11">${stamp(t0)}</text>` +
        `<text x="${PAD.left + PLOT_W}" y="${H - PAD.bottom + 16}" text-anchor="end" font-size="11">${stamp(t1)}</text>`;
  return frame(title, `${yAxis(top, unit)}${axis}${dots}`);
}

/** One bar per label (kills per day). */
export function barChart(title: string, bars: readonly { label: string; value: number }[], unit: string): string {
  if (bars.length === 0) return '';
  const top = niceMax(Math.max(...bars.map((b) => b.value)));
  const slot = PLOT_W / bars.length;
  const bw = Math.max(2, Math.min(40, slot * 0.7));
  const cx = (i: number): number => PAD.left + slot * i + slot / 2;
  const rects = bars
    .map((b, i) => {
      const h = (b.value / top) * PLOT_H;
      return `<rect class="bar" x="${(cx(i) - bw / 2).toFixed(1)}" y="${(PAD.top + PLOT_H - h).toFixed(1)}" width="${bw.toFixed(1)}" height="${h.toFixed(1)}" fill="${PALETTE[0]}"><title>${escapeXml(`${b.label}: ${b.value}`)}</title></rect>`;
    })
    .join('');
  return frame(title, `${yAxis(top, unit, true)}${rects}${xLabels(bars.map((b) => b.label), cx)}`);
}

/** Stacked bars: one column per label, one coloured segment per series, with a legend below. */
export function stackedBarChart(title: string, columns: readonly { label: string; values: Record<string, number> }[], unit: string): string {
  if (columns.length === 0) return '';
  const series = [...new Set(columns.flatMap((c) => Object.keys(c.values)))].sort();
  if (series.length === 0) return '';
  const colour = (s: string): string => PALETTE[series.indexOf(s) % PALETTE.length]!;
  const top = niceMax(Math.max(...columns.map((c) => Object.values(c.values).reduce((a, b) => a + b, 0))));
  const slot = PLOT_W / columns.length;
  const bw = Math.max(2, Math.min(40, slot * 0.7));
  const cx = (i: number): number => PAD.left + slot * i + slot / 2;
  const rects = columns
    .map((c, i) => {
      let base = PAD.top + PLOT_H;
      return series
        .filter((s) => (c.values[s] ?? 0) > 0)
        .map((s) => {
          const h = ((c.values[s] ?? 0) / top) * PLOT_H;
          base -= h;
          return `<rect class="segment" x="${(cx(i) - bw / 2).toFixed(1)}" y="${base.toFixed(1)}" width="${bw.toFixed(1)}" height="${h.toFixed(1)}" fill="${colour(s)}"><title>${escapeXml(`${c.label} ${s}: ${c.values[s] ?? 0}`)}</title></rect>`;
        })
        .join('');
    })
    .join('');
  const rows = Math.ceil(series.length / 4);
  const legend = series
    .map((s, i) => {
      const lx = PAD.left + (i % 4) * 145;
      const ly = H + 4 + Math.floor(i / 4) * 18;
      return `<rect x="${lx}" y="${ly}" width="10" height="10" fill="${colour(s)}"/><text x="${lx + 14}" y="${ly + 9}" font-size="11">${escapeXml(s)}</text>`;
    })
    .join('');
  return frame(title, `${yAxis(top, unit, true)}${rects}${xLabels(columns.map((c) => c.label), cx)}${legend}`, rows * 18 + 6);
}
