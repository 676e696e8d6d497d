import { lifecycleRoute } from "@/lib/workloads/lifecycle_route.ts";

export const handler = lifecycleRoute("start", "Start a stopped workload");
