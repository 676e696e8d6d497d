import { apiRoute } from "@/lib/web/define.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import { deviceCodeService } from "@/lib/nodes/device_codes.ts";
import { DeviceJoinToken, DevicePollRequest } from "@/lib/api/device_code_schemas.ts";
import { errorResponses, jsonBody, jsonResponse } from "@/lib/api/schemas.ts";

export const handler = {
  POST: apiRoute({
    // The device code in the body is the credential: no session, no CSRF token.
    access: "public",
    summary: "Poll a device sign-in; once approved, answers a single-use join token (once)",
    description: "Until then every answer is 400 with error.code (RFC 8628): " +
      "authorization_pending (keep polling), slow_down (wait longer), access_denied, " +
      "expired_token (unknown, already used or expired).",
    tags: ["agents"],
    request: { body: jsonBody(DevicePollRequest) },
    responses: {
      200: jsonResponse(DeviceJoinToken, "Approved: join with this token"),
      ...errorResponses(400, 413, 415, 422),
    },
  }, async (c) => {
    const { deviceCode } = c.req.valid("json");
    const token = await deviceCodeService(c.get("app")).pollDeviceCode(deviceCode, requestMeta(c));
    return c.json(token, 200);
  }),
};
