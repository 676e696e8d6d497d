/** A node's rank (0–1000) with its badge tier (lib/nodes/badges.ts). */
export function NodeRankBadge(props: { rank: number; tier: string; tierLabel: string }) {
  return (
    <span class="node-rank" title={`Rank ${props.rank} of 1000: ${props.tierLabel}`}>
      <span class="node-rank-value">{props.rank}</span>
      <span class={`tier tier-${props.tier}`}>{props.tierLabel}</span>
    </span>
  );
}
