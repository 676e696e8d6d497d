import { lifecycleRoute } from "@/lib/workloads/lifecycle_route.ts";

export const handler = lifecycleRoute(
  "restart",
  "Restart a workload with fresh containers (a new generation)",
);
