import { type SeriesPoint, sparklinePoints } from "@/lib/nodes/node_view.ts";

const WIDTH = 64;
const HEIGHT = 24;

/**
 * A small line of the last minutes of a 0–100 % series (CPU or memory), with its current value
 * beside it. Fixed size, so live updates never move anything around it.
 */
export function NodeSparkline(props: {
  series: SeriesPoint[];
  /** End of the time axis (ms); the axis covers `windowMs` before it. */
  now: number;
  windowMs: number;
  /** The current value as text, e.g. "42%". */
  value: string;
  label: string;
}) {
  const points = sparklinePoints(props.series, {
    from: props.now - props.windowMs,
    to: props.now,
    max: 100,
    width: WIDTH,
    height: HEIGHT,
  });
  return (
    <span class="sparkline">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        width={WIDTH}
        height={HEIGHT}
        role="img"
        aria-label={`${props.label}, last ${Math.round(props.windowMs / 60000)} minutes`}
      >
        <line x1="0" y1={HEIGHT - 0.5} x2={WIDTH} y2={HEIGHT - 0.5} class="sparkline-base" />
        {points && <polyline points={points} class="sparkline-line" />}
      </svg>
      <span class="sparkline-value">{props.value}</span>
    </span>
  );
}
