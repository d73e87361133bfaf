import { useEffect, useLayoutEffect, useRef } from 'react';
import type uPlot from 'uplot';
import { createChart, updateChart, type ChartData, type ChartSpec } from './chart';
import 'uplot/dist/uPlot.min.css';

/** A uPlot chart that follows its container's width; rebuilt when its look changes, updated in place for new data. */
export function MetricChart(props: Omit<ChartSpec, 'width' | 'height'> & { data: ChartData; height?: number; testId: string; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const { data, height = 160, testId, label, ...spec } = props;
  const latest = useRef(data);
  const format = useRef(spec);
  // The newest data and formatters for a rebuild (a resize, a new look), without rebuilding for them.
  useLayoutEffect(() => {
    latest.current = data;
    format.current = spec;
  });
  const look = JSON.stringify({ levels: spec.levels, level: spec.level, yMax: spec.yMax, height, marks: spec.marks });

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const make = () => {
      chart.current?.destroy();
      const s = format.current;
      chart.current = createChart(el, { ...s, width: Math.max(200, el.clientWidth), height, formatTime: (ms, span) => format.current.formatTime(ms, span), formatValue: (v) => format.current.formatValue(v) }, latest.current);
    };
    make();
    let width = el.clientWidth;
    const observer = new ResizeObserver(() => {
      if (Math.abs(el.clientWidth - width) < 4 || !chart.current) return;
      width = el.clientWidth;
      chart.current.setSize({ width: Math.max(200, width), height });
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      chart.current?.destroy();
      chart.current = null;
    };
    // The look (levels, colour, height) rebuilds the chart; data alone is set below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [look]);

  useEffect(() => {
    if (chart.current) updateChart(chart.current, data);
  }, [data]);

  return <div className="chart" ref={box} data-testid={testId} data-points={data.t.length} data-marks={spec.marks?.length ?? 0} role="img" aria-label={label} />;
}
