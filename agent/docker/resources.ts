// Volume and network endpoints.

import { DockerError } from "./errors.ts";
import { filtersParam, labelFilter, type Transport } from "./transport.ts";
import type { NetworkSummary, VolumeSummary } from "./types.ts";

/** Body of POST /volumes/create. */
export interface VolumeCreateBody {
  Name: string;
  Labels?: Record<string, string>;
  Driver?: string;
  DriverOpts?: Record<string, string>;
}

/** POST /volumes/create (Docker returns the existing volume if the name is taken). */
export async function volumeCreate(
  t: Transport,
  body: VolumeCreateBody,
): Promise<{ name: string }> {
  const res = await t.call<VolumeSummary>("POST", "/volumes/create", { json: body });
  if (!res?.Name) throw new DockerError("server_error", "Docker created a volume but sent no Name");
  return { name: res.Name };
}

/** DELETE /volumes/{name} (409 conflict while a container uses it). */
export async function volumeRemove(
  t: Transport,
  name: string,
  opts: { force?: boolean } = {},
): Promise<void> {
  await t.call("DELETE", `/volumes/${encodeURIComponent(name)}`, { query: { force: opts.force } });
}

/** GET /volumes with an optional label filter. */
export async function volumeList(
  t: Transport,
  opts: { labels?: Record<string, string | true> } = {},
): Promise<{ name: string; labels: Record<string, string> }[]> {
  const filters = filtersParam({ label: labelFilter(opts.labels) });
  const res = await t.call<{ Volumes: VolumeSummary[] | null }>("GET", "/volumes", {
    query: { filters },
  });
  return (res?.Volumes ?? []).map((v) => ({ name: v.Name, labels: v.Labels ?? {} }));
}

/** GET /networks with an optional label filter. */
export async function networkList(
  t: Transport,
  opts: { labels?: Record<string, string | true> } = {},
): Promise<{ id: string; name: string }[]> {
  const filters = filtersParam({ label: labelFilter(opts.labels) });
  const res = await t.call<NetworkSummary[]>("GET", "/networks", { query: { filters } });
  return (res ?? []).map((n) => ({ id: n.Id, name: n.Name }));
}

/** DELETE /networks/{id}. */
export async function networkRemove(t: Transport, id: string): Promise<void> {
  await t.call("DELETE", `/networks/${encodeURIComponent(id)}`);
}
