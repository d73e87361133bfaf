import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { build } from 'vite';
import { chromium } from 'playwright-core';
import { HealthHistory, type HistoryMetric } from '../electron/main/health/history';
import { median, removeScratch, repoRoot, scratchDir, type Bench } from './lib/bench';

// The dashboard's charts in Chromium: 24 h of 5-second samples for 6 series, through the same path as
// the dashboard (the main side's history store and its min/max decimation to the chart's width, then
// the dashboard's uPlot chart module), against 1 h through the same path in the same run. Time per
// frame = new data set and drawn on all six charts. Flat (≈ 1) means the cost does not grow with the
// period. The 24 h series drawn without decimation are timed too, to show what decimation saves.

const SERIES: HistoryMetric[] = ['cpu', 'ram', 'load1', 'disk', 'p99Ms', 'pgConnections'];
const STEP_MS = 5_000;
const DAY = 86_400_000;
const HOUR = 3_600_000;
/** What the dashboard asks (renderer/src/stores/health-store.ts MAX_POINTS). */
const MAX_POINTS = 600;
const FRAMES = 40;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const PAGE_HTML = `<!doctype html>
<html><head><meta charset="UTF-8" /><title>chart-render</title>
<style>body{margin:0;font-family:sans-serif}.chart{width:600px;display:inline-block}</style></head>
<body><div id="charts"></div><script type="module" src="./main.ts"></script></body></html>
`;

/** The page: the dashboard's chart module, six charts, a timing loop. */
const pageMain = (chartModule: string) => `import { createChart, updateChart } from ${JSON.stringify(chartModule)};
const fmt = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });
window.renderBench = (series, frames) => {
  const root = document.getElementById('charts');
  root.innerHTML = '';
  const t0 = performance.now();
  const charts = series.map((data) => {
    const el = document.createElement('div');
    el.className = 'chart';
    root.append(el);
    const chart = createChart(el, { width: 600, height: 160, levels: { warn: 70, critical: 85 }, level: 'ok', yMax: 100, formatTime: (ms) => fmt.format(ms), formatValue: (v) => String(Math.round(v)) }, { t: [], v: [] });
    return { chart, data };
  });
  const created = performance.now() - t0;
  const times = [];
  for (let f = 0; f < frames; f++) {
    const start = performance.now();
    for (const { chart, data } of charts) updateChart(chart, f % 2 === 0 ? data : { t: data.t, v: data.v.map((v) => v * 0.98) });
    times.push(performance.now() - start);
  }
  for (const { chart } of charts) chart.destroy();
  return { created, times };
};
`;

function seriesValue(metric: HistoryMetric, i: number): number {
  // Daily shape plus noise and a few spikes (what min/max decimation must keep).
  const day = Math.sin((i / 17_280) * 2 * Math.PI);
  const noise = Math.sin(i * 12.9898) * 43758.5453;
  const jitter = noise - Math.floor(noise);
  const spike = i % 997 === 0 ? 30 : 0;
  switch (metric) {
    case 'cpu':
      return Math.min(100, 30 + 20 * day + 15 * jitter + spike);
    case 'ram':
      return 55 + 10 * day + 3 * jitter;
    case 'load1':
      return Math.max(0, 0.8 + 0.5 * day + jitter + spike / 20);
    case 'disk':
      return 40 + i / 17_280;
    case 'p99Ms':
      return 8 + 4 * jitter + spike;
    default:
      return Math.round(10 + 5 * day + 4 * jitter);
  }
}

function serve(dir: string): Promise<{ server: Server; url: string }> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  const server = createServer((req, res) => {
    const asked = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]!)).replace(/^(\.\.[/\\])+/, '');
    const path = asked === '/' ? '/index.html' : asked;
    readFile(join(dir, path)).then(
      (body) => {
        res.writeHead(200, { 'Content-Type': types[extname(path)] ?? 'application/octet-stream' });
        res.end(body);
      },
      () => {
        res.writeHead(404);
        res.end();
      },
    );
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` })));
}

const bench: Bench = {
  description: 'dashboard charts in Chromium: time per frame for 24 h of 5-s samples × 6 series, as a ratio to 1 h (flat ≈ 1 thanks to decimation)',
  async run(log) {
    const scratch = await scratchDir('chart-render');
    let server: Server | null = null;
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
    });
    try {
      // 24 h of samples in a real history store (its files in the scratch folder), as the app keeps them.
      const now = Date.UTC(2026, 10, 26, 12);
      const history = await HealthHistory.open({ dir: join(scratch, 'history'), now: () => now, compactEveryMs: Infinity });
      const rows = DAY / STEP_MS;
      for (let i = 0; i < rows; i++) {
        const values: Partial<Record<HistoryMetric, number>> = {};
        for (const m of SERIES) values[m] = seriesValue(m, i);
        await history.append({ at: now - DAY + (i + 1) * STEP_MS, values });
      }
      await history.flush();

      const decimate = (period: number) => {
        const started = performance.now();
        const out = SERIES.map((m) => {
          const s = history.series(m, now - period, now, MAX_POINTS);
          return { t: s.map((p) => p.at), v: s.map((p) => p.value) };
        });
        return { out, ms: performance.now() - started };
      };
      const hour = decimate(HOUR);
      const day = decimate(DAY);
      const raw = SERIES.map((m) => {
        const r = history.fullRows(now - DAY, now);
        return { t: r.map((x) => x.at), v: r.map((x) => x.values[m] ?? 0) };
      });
      log(`history: ${rows} rows × ${SERIES.length} series (24 h at 5 s); charts ask for ${MAX_POINTS} points at most`);
      log(`decimation on the main side: 1 h ${hour.ms.toFixed(1)} ms → ${hour.out[0]!.t.length} points/series; 24 h ${day.ms.toFixed(1)} ms → ${day.out[0]!.t.length} points/series`);

      // The page: the dashboard's own chart module, bundled by Vite.
      const pageDir = join(scratch, 'page');
      const outDir = join(scratch, 'dist');
      await mkdir(pageDir, { recursive: true });
      await writeFile(join(pageDir, 'index.html'), PAGE_HTML);
      await writeFile(join(pageDir, 'main.ts'), pageMain(join(repoRoot, 'renderer/src/dashboard/chart.ts')));
      await build({ configFile: false, root: pageDir, base: './', logLevel: 'warn', build: { outDir, emptyOutDir: true, minify: true } });
      const served = await serve(outDir);
      server = served.server;
      const page = await browser.newPage({ viewport: { width: 1280, height: 1200 }, deviceScaleFactor: 1 });
      await page.goto(served.url);
      await page.waitForFunction(() => typeof (window as unknown as { renderBench?: unknown }).renderBench === 'function');

      type Result = { created: number; times: number[] };
      const render = (series: { t: number[]; v: number[] }[]) =>
        page.evaluate(([s, frames]) => (window as unknown as { renderBench: (s: unknown, f: number) => Result }).renderBench(s, frames), [series, FRAMES] as const);
      // Warm-up (JIT, fonts), then alternate the cases so a slow moment of the machine hits both.
      await render(hour.out);
      await render(day.out);
      const perFrame: Record<'hour' | 'day' | 'raw', number[]> = { hour: [], day: [], raw: [] };
      for (let round = 0; round < 5; round++) {
        perFrame.hour.push(median((await render(hour.out)).times));
        perFrame.day.push(median((await render(day.out)).times));
      }
      for (let round = 0; round < 2; round++) perFrame.raw.push(median((await render(raw)).times));
      const h = median(perFrame.hour);
      const d = median(perFrame.day);
      const r = median(perFrame.raw);
      log(`Chromium ${browser.version()}, 6 charts of 600×160 px, ${FRAMES} frames per round, median of rounds`);
      log(`1 h   (decimated): ${h.toFixed(2)} ms/frame`);
      log(`24 h  (decimated): ${d.toFixed(2)} ms/frame`);
      log(`24 h  (all ${rows} points, not decimated, for comparison): ${r.toFixed(2)} ms/frame (${(r / h).toFixed(1)} × 1 h)`);
      return { value: d / h, decimals: 2 };
    } finally {
      await browser.close();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await removeScratch(scratch);
    }
  },
};

export default bench;
