/** Numbers for people, shared by pages and islands (pure, no dependencies). */

/** Millicores as cores: 1500 → "1.5", 8000 → "8". */
export function formatCores(millicores: number): string {
  const cores = millicores / 1000;
  return Number.isInteger(cores) ? String(cores) : cores.toFixed(1);
}

/** MiB in the largest sensible unit: 512 → "512 MiB", 16384 → "16 GiB", 3 × 1024² → "3 TiB". */
export function formatMiB(mib: number): string {
  if (mib >= 1024 * 1024) return `${trim(mib / (1024 * 1024))} TiB`;
  if (mib >= 1024) return `${trim(mib / 1024)} GiB`;
  return `${Math.round(mib)} MiB`;
}

/** Bytes in the largest sensible unit. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return bytes < 1024 ? `${bytes} B` : `${trim(bytes / 1024)} KiB`;
  return formatMiB(bytes / (1024 * 1024));
}

/** A share 0…1 as a whole percentage: 0.4567 → "46%"; null → "—". */
export function formatPercent(share: number | null): string {
  return share === null || !Number.isFinite(share) ? "—" : `${Math.round(share * 100)}%`;
}

/** used / total, 0 when there is no total, clamped to 0…1. */
export function shareOf(used: number, total: number): number {
  return total > 0 ? Math.min(1, Math.max(0, used / total)) : 0;
}

function trim(n: number): string {
  return n >= 100 || Number.isInteger(n) ? String(Math.round(n)) : n.toFixed(1);
}
