/** API shapes of device sign-in (RFC 8628 style): see lib/nodes/device_codes.ts. */
import { z } from "@hono/zod-openapi";
import type { DeviceCode } from "../../db/device_codes.ts";
import { formatUserCode } from "../nodes/device_codes.ts";

export const DeviceCodeStarted = z.object({
  deviceCode: z.string().openapi({ description: "Secret: the agent polls with it" }),
  userCode: z.string().openapi({ example: "WDJB-MJHT" }),
  verificationUri: z.string(),
  verificationUriComplete: z.string(),
  expiresIn: z.number().int().openapi({ description: "Seconds until the codes expire" }),
  interval: z.number().int().openapi({ description: "Seconds to wait between polls" }),
}).openapi("DeviceCodeStarted");

export const DevicePollRequest = z.object({
  deviceCode: z.string().min(1).max(200),
}).openapi("DevicePollRequest");

export const DeviceJoinToken = z.object({
  joinToken: z.string().openapi({ description: "Single-use join token (10 minutes)" }),
}).openapi("DeviceJoinToken");

export const UserCodeParam = z.object({
  userCode: z.string().min(1).max(20).openapi({
    param: { name: "userCode", in: "path" },
    example: "WDJB-MJHT",
  }),
});

export const ApproveDeviceCodeRequest = z.object({
  poolId: z.uuid({ error: "must be a UUID" }).optional(),
}).openapi("ApproveDeviceCodeRequest");

export const DeviceCodeSchema = z.object({
  id: z.string(),
  userCode: z.string(),
  status: z.enum(["pending", "approved", "denied", "consumed"]),
  poolId: z.string().nullable(),
  ip: z.string().nullable(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
}).openapi("DeviceCode");

/** A device code as the API shows it (never the device code secret). */
export function deviceCodeDto(code: DeviceCode): z.infer<typeof DeviceCodeSchema> {
  return {
    id: code.id,
    userCode: formatUserCode(code.userCode),
    status: code.status,
    poolId: code.poolId,
    ip: code.ip,
    createdAt: code.createdAt.toISOString(),
    expiresAt: code.expiresAt.toISOString(),
  };
}
