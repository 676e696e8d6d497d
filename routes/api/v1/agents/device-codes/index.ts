import { apiRoute } from "@/lib/web/define.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import { deviceCodeService } from "@/lib/nodes/device_codes.ts";
import { DeviceCodeStarted } from "@/lib/api/device_code_schemas.ts";
import { errorResponses, jsonResponse } from "@/lib/api/schemas.ts";

export const handler = {
  POST: apiRoute({
    // Anyone may ask for a code; nothing happens until an admin approves it.
    access: "public",
    summary: "Start a device sign-in: a user code to confirm on /device, a device code to poll",
    tags: ["agents"],
    responses: {
      201: jsonResponse(DeviceCodeStarted, "Started; show userCode and poll with deviceCode"),
      ...errorResponses(429),
    },
  }, async (c) => {
    const started = await deviceCodeService(c.get("app")).startDeviceCode(requestMeta(c));
    return c.json(started, 201);
  }),
};
