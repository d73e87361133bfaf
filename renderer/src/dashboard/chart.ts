import uPlot from 'uplot';

// One dashboard chart: a uPlot line of one metric (already decimated by the main side to about the
// chart's width), its warning and critical levels as dashed lines, the line coloured by the level of
// the newest value. Plain DOM, no React: the dashboard and the `chart-render` bench use the same code.

export type Level = 'ok' | 'warn' | 'critical';

export const LEVEL_COLORS: Record<Level | 'none', string> = { ok: '#0f766e', warn: '#b45309', critical: '#b91c1c', none: '#64748b' };

export interface ChartSpec {
  width: number;
  height: number;
  /** Levels drawn as dashed lines (null: none). */
  levels: { warn: number; critical: number } | null;
  /** Colour of the line. */
  level: Level | null;
  /** Fixed top of the y axis (percentages: 100); otherwise it follows the data and the levels. */
  yMax?: number;
  /** An axis label; `spanMs` is the visible period (short ones need seconds). */
  formatTime: (ms: number, spanMs: number) => string;
  formatValue: (v: number) => string;
  /** Events drawn as vertical lines with a short label (e.g. an upgrade: down, up). */
  marks?: ChartMark[];
}

export interface ChartMark {
  at: number;
  label: string;
  color: string;
}

export type ChartData = { t: number[]; v: number[] };

function levelLines(spec: ChartSpec): uPlot.Plugin {
  return {
    hooks: {
      draw: [
        (u: uPlot) => {
          if (!spec.levels) return;
          const { ctx } = u;
          const { left, width } = u.bbox;
          ctx.save();
          ctx.setLineDash([6 * uPlot.pxRatio, 4 * uPlot.pxRatio]);
          ctx.lineWidth = uPlot.pxRatio;
          for (const [key, value] of [['warn', spec.levels.warn], ['critical', spec.levels.critical]] as const) {
            const y = Math.round(u.valToPos(value, 'y', true));
            if (!Number.isFinite(y) || y < u.bbox.top || y > u.bbox.top + u.bbox.height) continue;
            ctx.strokeStyle = LEVEL_COLORS[key];
            ctx.beginPath();
            ctx.moveTo(left, y);
            ctx.lineTo(left + width, y);
            ctx.stroke();
          }
          ctx.restore();
        },
      ],
    },
  };
}

/** The marks as vertical dashed lines, labelled at the top, inside the plotted period only. */
function markLines(spec: ChartSpec): uPlot.Plugin {
  return {
    hooks: {
      draw: [
        (u: uPlot) => {
          if (!spec.marks?.length) return;
          const { ctx } = u;
          const { top, height } = u.bbox;
          ctx.save();
          ctx.setLineDash([3 * uPlot.pxRatio, 3 * uPlot.pxRatio]);
          ctx.lineWidth = 1.5 * uPlot.pxRatio;
          ctx.font = `${11 * uPlot.pxRatio}px system-ui, sans-serif`;
          ctx.textBaseline = 'top';
          const right = u.bbox.left + u.bbox.width;
          const pad = 3 * uPlot.pxRatio;
          // Marks close together (an upgrade on a long period): the lines all, the labels only where they fit.
          let freeFrom = -Infinity;
          const marks = [...spec.marks!].sort((a, b) => a.at - b.at);
          for (const m of marks) {
            const x = Math.round(u.valToPos(m.at, 'x', true));
            if (!Number.isFinite(x) || x < u.bbox.left || x > right) continue;
            ctx.strokeStyle = m.color;
            ctx.fillStyle = m.color;
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + height);
            ctx.stroke();
            const w = ctx.measureText(m.label).width;
            const tx = x + pad + w > right ? x - pad - w : x + pad;
            if (tx < freeFrom) continue;
            ctx.fillText(m.label, tx, top + 2 * uPlot.pxRatio);
            freeFrom = tx + w + 2 * pad;
          }
          ctx.restore();
        },
      ],
    },
  };
}

export function chartOptions(spec: ChartSpec): uPlot.Options {
  const color = LEVEL_COLORS[spec.level ?? 'none'];
  const top = spec.yMax;
  const levelTop = spec.levels ? spec.levels.critical * 1.15 : 0;
  return {
    width: spec.width,
    height: spec.height,
    ms: 1,
    legend: { show: false },
    cursor: { show: true, drag: { x: false, y: false } },
    scales: {
      x: { time: true },
      y: { range: (_u, _min, max) => [0, top ?? Math.max(max * 1.1, levelTop, 1)] },
    },
    axes: [
      { values: (_u, splits) => splits.map((s) => spec.formatTime(s, (splits[splits.length - 1] ?? 0) - (splits[0] ?? 0))), stroke: '#64748b', grid: { stroke: '#e2e8f0' }, ticks: { stroke: '#e2e8f0' } },
      { values: (_u, splits) => splits.map((s) => spec.formatValue(s)), stroke: '#64748b', size: 56, grid: { stroke: '#e2e8f0' }, ticks: { stroke: '#e2e8f0' } },
    ],
    series: [{}, { stroke: color, width: 2, fill: `${color}1f`, points: { show: false }, spanGaps: false }],
    plugins: [levelLines(spec), markLines(spec)],
  };
}

export function alignedOf(data: ChartData): uPlot.AlignedData {
  return [data.t, data.v];
}

export function createChart(el: HTMLElement, spec: ChartSpec, data: ChartData): uPlot {
  return new uPlot(chartOptions(spec), alignedOf(data), el);
}

/** New data, drawn at once (uPlot batches to a microtask otherwise): what the bench times. */
export function updateChart(chart: uPlot, data: ChartData): void {
  chart.batch(() => chart.setData(alignedOf(data)));
}
