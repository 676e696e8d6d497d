import { apiRoute } from "@/lib/web/define.ts";
import { requestMeta } from "@/lib/auth/middleware.ts";
import { deviceCodeService } from "@/lib/nodes/device_codes.ts";
import {
  ApproveDeviceCodeRequest,
  deviceCodeDto,
  DeviceCodeSchema,
  UserCodeParam,
} from "@/lib/api/device_code_schemas.ts";
import { errorResponses, jsonResponse, optionalJsonBody } from "@/lib/api/schemas.ts";

export const handler = {
  POST: apiRoute({
    access: "admin",
    summary: "Approve a device sign-in: the agent's next poll gets a join token for the pool",
    description: "poolId defaults to the default pool. 409 when the code is no longer pending.",
    tags: ["device-codes"],
    request: { params: UserCodeParam, body: optionalJsonBody(ApproveDeviceCodeRequest) },
    responses: {
      200: jsonResponse(DeviceCodeSchema, "Approved"),
      ...errorResponses(401, 403, 404, 409, 413, 415, 422),
    },
  }, async (c) => {
    const code = await deviceCodeService(c.get("app")).decideDeviceCode(
      c.get("principal")!,
      c.req.valid("param").userCode,
      { action: "approve", poolId: c.req.valid("json")?.poolId },
      requestMeta(c),
    );
    return c.json(deviceCodeDto(code), 200);
  }),
};
