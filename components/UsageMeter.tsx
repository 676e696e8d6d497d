import { formatPercent, shareOf } from "@/lib/web/format.ts";

/**
 * A labelled horizontal bar for "used of total" (capacity, rank parts). Fixed height and
 * tabular figures, so live updates never move the layout. `value` is the text shown beside it.
 */
export function UsageMeter(props: {
  label: string;
  used: number;
  total: number;
  value: string;
  /** "compact": a thin bar without the label row (tables). */
  variant?: "compact";
  /** "score": more is better (rank parts), so a full bar is not a warning. */
  kind?: "usage" | "score";
}) {
  const share = shareOf(props.used, props.total);
  const tone = props.kind === "score"
    ? "meter-score"
    : share >= 0.9
    ? "meter-high"
    : share >= 0.7
    ? "meter-mid"
    : "";
  const bar = (
    <span
      class={`meter ${tone}`}
      role="meter"
      aria-label={props.label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(share * 100)}
      aria-valuetext={`${props.value} (${formatPercent(share)})`}
    >
      {/* SVG geometry, not an inline style: the CSP allows no style attributes. */}
      <svg viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true">
        <rect class="meter-track" x="0" y="0" width="100" height="8" />
        <rect class="meter-fill" x="0" y="0" width={(share * 100).toFixed(1)} height="8" />
      </svg>
    </span>
  );
  if (props.variant === "compact") {
    return (
      <span class="meter-compact" title={`${props.label}: ${props.value}`}>
        <span class="meter-name">{props.label}</span>
        {bar}
        <span class="meter-value">{props.value}</span>
      </span>
    );
  }
  return (
    <div class="meter-row">
      <div class="meter-label">
        <span>{props.label}</span>
        <span class="meter-value">{props.value}</span>
      </div>
      {bar}
    </div>
  );
}
