import { z } from "@hono/zod-openapi";
import { apiRoute } from "@/lib/web/define.ts";
import { listLeaderboard } from "@/db/ranks.ts";
import {
  errorResponses,
  jsonResponse,
  leaderboardEntryDto,
  LeaderboardEntrySchema,
  LeaderboardQuery,
} from "@/lib/api/schemas.ts";

export const handler = {
  GET: apiRoute({
    summary: "Approved nodes by rank, best first (ties by name)",
    description: "Any signed-in user may read it. Ranks are recomputed every " +
      "LATTICE_RANK_INTERVAL_SECONDS; owners, keys and addresses are never shown.",
    tags: ["nodes"],
    request: { query: LeaderboardQuery },
    responses: {
      200: jsonResponse(
        z.object({ nodes: z.array(LeaderboardEntrySchema) }),
        "The leaderboard",
      ),
      ...errorResponses(401, 422),
    },
  }, async (c) => {
    const rows = await listLeaderboard(c.get("app").db, c.req.valid("query").limit);
    return c.json({ nodes: rows.map((r, i) => leaderboardEntryDto(r, i + 1)) }, 200);
  }),
};
