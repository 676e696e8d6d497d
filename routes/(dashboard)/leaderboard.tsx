import { page, type PageHandlers, type PageProps } from "@/lib/web/define.ts";
import { listLeaderboard } from "@/db/ranks.ts";
import { leaderboardEntryDto } from "@/lib/api/schemas.ts";
import { badgeLabel, badgeTier } from "@/lib/nodes/badges.ts";
import { RANK_WEIGHTS } from "@/scheduler/rank.ts";
import { formatPercent } from "@/lib/web/format.ts";
import { EmptyState } from "@/components/EmptyState.tsx";
import { RelativeTime } from "@/components/RelativeTime.tsx";
import { UsageMeter } from "@/components/UsageMeter.tsx";

interface Data {
  entries: ReturnType<typeof leaderboardEntryDto>[];
}

export const title = "Leaderboard · Lattice";
const LIMIT = 100;

const PART_LABELS: Record<keyof typeof RANK_WEIGHTS, string> = {
  availability: "Availability",
  jobSuccess: "Deploy success",
  resources: "Resources",
  heartbeatStability: "Steadiness",
  tenure: "Tenure",
};

export const handler: PageHandlers<Data> = {
  async GET(c) {
    const rows = await listLeaderboard(c.get("app").db, LIMIT);
    return page({ entries: rows.map((r, i) => leaderboardEntryDto(r, i + 1)) });
  },
};

export default function LeaderboardPage({ data }: PageProps<Data>) {
  const rankedAt = data.entries.find((e) => e.rankUpdatedAt)?.rankUpdatedAt ?? null;
  return (
    <>
      <div class="page-header">
        <h1>Leaderboard</h1>
      </div>
      <p class="lede">
        Approved nodes by rank (0–1000): mostly how reliably they are there, then how often their
        deploys succeed, what they offer, how steady their heartbeats are and how long they have
        served. Rank decides where the scheduler places work first. {rankedAt && (
          <>
            Ranked <RelativeTime iso={rankedAt} />.
          </>
        )}
      </p>
      {data.entries.length === 0
        ? (
          <EmptyState title="No ranked nodes yet">
            <p>
              Nodes appear here once an admin approves them; ranks follow from their history.
            </p>
          </EmptyState>
        )
        : (
          <div class="table-wrap">
            <table class="leaderboard">
              <thead>
                <tr>
                  <th scope="col" class="num">#</th>
                  <th scope="col">Node</th>
                  <th scope="col" class="num">Rank</th>
                  <th scope="col">Badge</th>
                  <th scope="col">Parts</th>
                  <th scope="col" class="num">Uptime 30 d</th>
                  <th scope="col">Pool</th>
                </tr>
              </thead>
              <tbody>
                {data.entries.map((e) => {
                  const tier = badgeTier(e.rank, e.rankUpdatedAt);
                  return (
                    <tr key={e.nodeId} data-node={e.name}>
                      <td class="num">{e.position}</td>
                      <td>
                        <span class={`dot dot-${e.status}`} title={e.status} />
                        {e.name}
                        <span class="visually-hidden">({e.status})</span>
                      </td>
                      <td class="num">
                        <strong>{e.rank}</strong>
                      </td>
                      <td>
                        <span class={`badge badge-tier badge-tier-${tier}`}>
                          {badgeLabel(tier)}
                        </span>
                      </td>
                      <td>
                        {e.parts
                          ? (
                            <div class="rank-parts">
                              {(Object.keys(RANK_WEIGHTS) as (keyof typeof RANK_WEIGHTS)[]).map(
                                (k) => (
                                  <UsageMeter
                                    key={k}
                                    variant="compact"
                                    kind="score"
                                    label={PART_LABELS[k]}
                                    used={e.parts![k] * RANK_WEIGHTS[k]}
                                    total={RANK_WEIGHTS[k]}
                                    value={`${Math.round(e.parts![k] * RANK_WEIGHTS[k])}/${
                                      RANK_WEIGHTS[k]
                                    }`}
                                  />
                                ),
                              )}
                            </div>
                          )
                          : <span class="muted">not ranked yet</span>}
                      </td>
                      <td class="num">{formatPercent(e.uptime30d)}</td>
                      <td>{e.poolName ?? "—"}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
    </>
  );
}
