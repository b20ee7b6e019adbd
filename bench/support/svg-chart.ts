/**
 * A grouped horizontal bar chart as a standalone SVG file, with no dependency: benches render their own figures
 * beside their markdown tables (docs/benchmarks.md links the file). One group per measured phase, one bar per system,
 * each bar labelled with its value; a system keeps its colour in every group. Text is escaped, sizes are fixed, and
 * the output is deterministic for the same input, so a rerun with the same figures changes nothing in the diff.
 */

export interface BarGroup {
  /** Shown above the group's bars, e.g. "drain, 8 workers". */
  readonly title: string;
  readonly bars: readonly Bar[];
}

export interface Bar {
  /** The system; bars of one system share a colour across groups. */
  readonly label: string;
  readonly value: number;
  /** Extra text after the value, e.g. "1.31x". */
  readonly note?: string;
}

export interface BarChart {
  readonly title: string;
  /** A line under the title (units, how measured). */
  readonly subtitle?: string;
  /** Unit shown after each value, e.g. "jobs/s". */
  readonly unit: string;
  readonly groups: readonly BarGroup[];
}

/** Colour-blind-safe (Okabe-Ito) colours, in order of first appearance of a label. */
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

const WIDTH = 900;
const LABEL_WIDTH = 330;
const VALUE_WIDTH = 170;
const BAR_HEIGHT = 20;
const BAR_GAP = 6;
const GROUP_TITLE = 24;
const GROUP_GAP = 14;
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

export function barChartSvg(chart: BarChart): string {
  const colours = new Map<string, string>();
  for (const group of chart.groups) {
    for (const bar of group.bars) if (!colours.has(bar.label)) colours.set(bar.label, PALETTE[colours.size % PALETTE.length]!);
  }
  const max = Math.max(0, ...chart.groups.flatMap((group) => group.bars.map((bar) => bar.value)));
  const scale = niceCeiling(max);
  const plotWidth = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 20;
  const top = chart.subtitle === undefined ? 44 : 64;
  const parts: string[] = [];
  let y = top;
  for (const group of chart.groups) {
    parts.push(`<text x="10" y="${y + 16}" font-size="14" font-weight="600" ${FONT}>${escape(group.title)}</text>`);
    y += GROUP_TITLE;
    for (const bar of group.bars) {
      const width = scale === 0 ? 0 : Math.max(1, (bar.value / scale) * plotWidth);
      const text = `${format(bar.value)} ${chart.unit}${bar.note === undefined ? '' : `, ${bar.note}`}`;
      parts.push(
        `<text x="${LABEL_WIDTH - 8}" y="${y + 14}" font-size="12" text-anchor="end" ${FONT}>${escape(bar.label)}</text>`,
        `<rect x="${LABEL_WIDTH}" y="${y}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" fill="${colours.get(bar.label)}"/>`,
        `<text x="${(LABEL_WIDTH + width + 6).toFixed(1)}" y="${y + 14}" font-size="12" ${FONT}>${escape(text)}</text>`,
      );
      y += BAR_HEIGHT + BAR_GAP;
    }
    y += GROUP_GAP;
  }
  // Axis: 0, half and the scale's top, with faint grid lines through every group.
  const axis: string[] = [];
  for (const fraction of [0, 0.5, 1]) {
    const x = LABEL_WIDTH + fraction * plotWidth;
    axis.push(
      `<line x1="${x.toFixed(1)}" y1="${top}" x2="${x.toFixed(1)}" y2="${y - GROUP_GAP}" stroke="#ccc" stroke-width="1"/>`,
      `<text x="${x.toFixed(1)}" y="${y + 4}" font-size="11" text-anchor="middle" fill="#555" ${FONT}>${escape(format(scale * fraction))}</text>`,
    );
  }
  const height = y + 20;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escape(chart.title)}">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="24" font-size="16" font-weight="700" ${FONT}>${escape(chart.title)}</text>`,
    ...(chart.subtitle === undefined ? [] : [`<text x="10" y="46" font-size="12" fill="#444" ${FONT}>${escape(chart.subtitle)}</text>`]),
    ...axis,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

/** The smallest 1, 2 or 5 times a power of ten at or above `value`: a round top for the axis. */
function niceCeiling(value: number): number {
  if (!(value > 0)) return 0;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function format(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
