/**
 * Credentials a template generates and the connection details built from them
 * (`GET /api/v1/workloads/{id}/connection`). Credentials are stored sealed
 * (lib/crypto/secret_box.ts) as the JSON of `WorkloadCredentials`.
 */
import { z } from "@hono/zod-openapi";
import type { TemplateName } from "./template_catalog.ts";

/** What a client needs to sign in to a templated service; null where the service has none. */
export const WorkloadCredentials = z.strictObject({
  user: z.string().min(1).max(200).nullable(),
  password: z.string().min(1).max(1000),
  database: z.string().min(1).max(200).nullable(),
});
/** A template's credentials. */
export type WorkloadCredentials = z.infer<typeof WorkloadCredentials>;
/** Short name used across the workload modules. */
export type Credentials = WorkloadCredentials;

/** How to reach a workload, with a ready connection string when the template has one. */
export const ConnectionInfo = z.object({
  host: z.string(),
  port: z.number().int(),
  user: z.string().nullable(),
  password: z.string().nullable(),
  database: z.string().nullable(),
  url: z.string().nullable().openapi({
    example: "postgres://lattice:secret@203.0.113.7:40123/shop_db",
  }),
}).openapi("ConnectionInfo");
/** Connection details of a workload. */
export type ConnectionInfo = z.infer<typeof ConnectionInfo>;

/** Where a workload is reachable: a host name or IP address and a port. */
export interface Endpoint {
  host: string;
  port: number;
}

/** `{ host, port, user, password, database, url }` for a template's service at `endpoint`. */
export function connectionInfo(
  template: TemplateName,
  credentials: Credentials | null,
  endpoint: Endpoint,
): ConnectionInfo {
  const { host, port } = endpoint;
  const none = { host, port, user: null, password: null, database: null, url: null };
  if (template === "custom") return none;
  if (credentials === null) {
    throw new Error(
      `Cannot build connection details for a ${template} workload without its credentials`,
    );
  }
  const address = `${urlHost(host)}:${port}`;
  const password = encodeURIComponent(credentials.password);
  switch (template) {
    case "postgres": {
      const user = encodeURIComponent(credentials.user ?? "");
      const database = encodeURIComponent(credentials.database ?? "");
      return {
        ...none,
        ...credentials,
        url: `postgres://${user}:${password}@${address}/${database}`,
      };
    }
    case "redis":
      return { ...none, password: credentials.password, url: `redis://:${password}@${address}/0` };
    case "minio":
      // S3 clients take the keys apart from the URL; the URL is the API endpoint.
      return {
        ...none,
        user: credentials.user,
        password: credentials.password,
        url: `http://${address}`,
      };
  }
}

/** IPv6 literals go in brackets inside a URL. */
function urlHost(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}
