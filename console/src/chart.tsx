/**
 * Time-series charts with uPlot: a canvas, sized to its container, times shown in the page's zone.
 * The figure carries a text summary for screen readers (a canvas says nothing by itself).
 */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

const PALETTE = ["#1f6fd1", "#c2410c", "#15803d", "#9333ea", "#b91c1c", "#0e7490", "#a16207", "#4b5563"];

export interface ChartSeries {
  label: string;
  values: (number | null)[];
}

export function Chart({
  title,
  summary,
  x,
  series,
  unit,
  zone,
  bars,
  height = 220,
}: {
  title: string;
  summary: string;
  /** Instants, epoch seconds. */
  x: number[];
  series: ChartSeries[];
  unit: string;
  zone: string;
  bars?: boolean;
  height?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = () => Math.max(260, Math.floor(el.getBoundingClientRect().width));
    const opts: uPlot.Options = {
      width: width(),
      height,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), zone),
      cursor: { drag: { x: false, y: false } },
      scales: {
        // Bars (one a day) get half a day of room on each side.
        ...(bars ? { x: { range: (_u, min, max): uPlot.Range.MinMax => [min - 43_200, max + 43_200] } } : {}),
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
      axes: [{}, { label: unit, size: 56 }],
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: PALETTE[i % PALETTE.length] ?? "#333",
          width: 2,
          ...(bars
            ? {
                fill: `${PALETTE[i % PALETTE.length]}99`,
                paths: uPlot.paths.bars?.({ size: [0.6, 64] }),
                points: { show: false },
              }
            : { spanGaps: false, points: { show: true, size: 4 } }),
          value: (_u: uPlot, v: number | null) => (v == null ? "–" : `${Number(v.toFixed(2))} ${unit}`),
        })),
      ],
    };
    const plot = new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: width(), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [x, series, unit, zone, bars, height]);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={`${title}. ${summary}`} />
    </figure>
  );
}
