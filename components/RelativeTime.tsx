/** Say how long ago (or until) `iso` is, e.g. "5 min ago". */
export function relativeTime(iso: string, now: Date = new Date()): string {
  const diff = (new Date(iso).getTime() - now.getTime()) / 1000;
  const abs = Math.abs(diff);
  const steps: [number, Intl.RelativeTimeFormatUnit][] = [
    [60, "second"],
    [3600, "minute"],
    [86400, "hour"],
    [86400 * 30, "day"],
    [86400 * 365, "month"],
    [Infinity, "year"],
  ];
  const divisors: Record<string, number> = {
    second: 1,
    minute: 60,
    hour: 3600,
    day: 86400,
    month: 86400 * 30,
    year: 86400 * 365,
  };
  const unit = steps.find(([limit]) => abs < limit)![1];
  const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto", style: "short" });
  return rtf.format(Math.round(diff / divisors[unit]), unit);
}

/** A time shown relative, with the exact UTC time on hover. */
export function RelativeTime(props: { iso: string | null; empty?: string }) {
  if (!props.iso) return <span class="muted">{props.empty ?? "never"}</span>;
  return <time datetime={props.iso} title={props.iso}>{relativeTime(props.iso)}</time>;
}
