/**
 * The onboarding page's request bodies: every POST the page sends is checked against one of
 * these before anything happens. The single source of truth for the page's API types.
 */
import { z } from "zod";
import { LabelMap } from "../../lib/protocol.ts";
import { isTimeZone } from "../../scheduler/types.ts";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A control plane address: http(s) only. */
export const ServerUrl = z.string().trim().max(500).refine((text) => {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}, "must be an address such as https://lattice.example.com");

/** Run the Docker install commands: only with the person's explicit consent. */
export const DockerInstallRequest = z.strictObject({
  consent: z.literal(true, { error: "tick the box that allows Lattice to run these commands" }),
});

/** Start a device-code sign-in. */
export const DeviceSignInRequest = z.strictObject({ serverUrl: ServerUrl });

/** Sign in with a join token pasted from the dashboard. */
export const TokenSignInRequest = z.strictObject({
  serverUrl: ServerUrl,
  token: z.string().trim().min(1, "paste the join token").max(200),
});

/** Step 3: this machine's name, labels, cluster and the share it offers. */
export const MachineRequest = z.strictObject({
  name: z.string().trim().min(1, "give this machine a name").max(100),
  labels: LabelMap.default({}),
  cluster: z.union([
    z.literal(""),
    z.string().regex(
      DNS_LABEL,
      "a cluster name is lowercase letters, digits and '-', e.g. lab-3",
    ),
  ]).default(""),
  offer: z.strictObject({
    cpuPercent: z.number().int().min(1).max(100),
    memoryMiB: z.number().int().min(1).max(1e9).nullable(),
    diskGiB: z.number().int().min(1).max(1e9).nullable(),
  }),
});
export type MachineRequest = z.infer<typeof MachineRequest>;

/** Step 4: the weekly grid (7 days × 24 hours) and its time zone. */
export const HoursRequest = z.strictObject({
  grid: z.array(z.array(z.boolean()).length(24)).length(7),
  timezone: z.string().refine(isTimeZone, "unknown time zone (use e.g. Europe/Paris or UTC)"),
});

/** Step 5: keep the machine awake during the hours. */
export const KeepAwakeRequest = z.strictObject({ enabled: z.boolean() });

/** Step 6: the user-level service. */
export const ServiceRequest = z.strictObject({
  action: z.enum(["install", "start", "stop", "uninstall", "status"]),
});

/** Step 6, when the service cannot be used: a detached `lattice-agent run`. */
export const BackgroundRequest = z.strictObject({ action: z.enum(["start", "stop"]) });

/** "Finish": stop the onboarding page. */
export const FinishRequest = z.strictObject({});
