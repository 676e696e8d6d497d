import { lifecycleRoute } from "@/lib/workloads/lifecycle_route.ts";

export const handler = lifecycleRoute(
  "stop",
  "Stop a workload (its containers stop; allocations and data stay)",
);
