import { apiRoute } from "@/lib/web/define.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import { deviceCodeService } from "@/lib/nodes/device_codes.ts";
import { deviceCodeDto, DeviceCodeSchema, UserCodeParam } from "@/lib/api/device_code_schemas.ts";
import { errorResponses, jsonResponse } from "@/lib/api/schemas.ts";

export const handler = {
  POST: apiRoute({
    access: "admin",
    summary: "Deny a device sign-in: the agent's next poll answers access_denied",
    tags: ["device-codes"],
    request: { params: UserCodeParam },
    responses: {
      200: jsonResponse(DeviceCodeSchema, "Denied"),
      ...errorResponses(401, 403, 404, 409, 422),
    },
  }, async (c) => {
    const code = await deviceCodeService(c.get("app")).decideDeviceCode(
      c.get("principal")!,
      c.req.valid("param").userCode,
      { action: "deny" },
      requestMeta(c),
    );
    return c.json(deviceCodeDto(code), 200);
  }),
};
