import { type SeriesPoint, sparklinePoints } from "@/lib/nodes/node_view.ts";

const WIDTH = 600;
const HEIGHT = 140;

/** One line of a chart. */
export interface ChartLine {
  label: string;
  series: SeriesPoint[];
  /** The current value as text, shown in the legend. */
  value: string;
  /** Colour class: "a" (accent) or "b" (second colour). */
  tone: "a" | "b";
}

/**
 * A line chart of the last minutes of one or more series, drawn in SVG. The axis labels are
 * HTML beside the SVG, so the chart stretches to its container without distorting text, and
 * its height is fixed so live points never move the page.
 */
export function NodeMetricChart(props: {
  title: string;
  lines: ChartLine[];
  now: number;
  windowMs: number;
  /** Top of the value axis. */
  max: number;
  /** The top of the axis as text, e.g. "100%" or "8 Mbit/s". */
  maxLabel: string;
  testId?: string;
}) {
  const box = { from: props.now - props.windowMs, to: props.now, max: props.max };
  return (
    <figure class="metric-chart" data-testid={props.testId}>
      <figcaption>
        <span class="metric-chart-title">{props.title}</span>
        <span class="metric-chart-legend">
          {props.lines.map((l) => (
            <span key={l.label} class={`metric-chart-key metric-tone-${l.tone}`}>
              {l.label} <strong>{l.value}</strong>
            </span>
          ))}
        </span>
      </figcaption>
      <div class="metric-chart-plot">
        <span class="metric-chart-max">{props.maxLabel}</span>
        <svg
          viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
          preserveAspectRatio="none"
          role="img"
          aria-label={`${props.title}, last ${Math.round(props.windowMs / 60000)} minutes`}
        >
          {[0.25, 0.5, 0.75].map((f) => (
            <line key={f} x1="0" x2={WIDTH} y1={HEIGHT * f} y2={HEIGHT * f} class="chart-grid" />
          ))}
          {props.lines.map((l) => {
            const points = sparklinePoints(l.series, { ...box, width: WIDTH, height: HEIGHT });
            return points
              ? (
                <polyline
                  key={l.label}
                  points={points}
                  class={`chart-line metric-tone-${l.tone}`}
                />
              )
              : null;
          })}
        </svg>
        <span class="metric-chart-axis">
          <span>{Math.round(props.windowMs / 60000)} min ago</span>
          <span>now</span>
        </span>
      </div>
    </figure>
  );
}
