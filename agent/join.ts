/**
 * Joining a control plane: send the join token, a fresh Ed25519 public key, the name and the
 * labels to `POST /api/v1/agents/join`, then save the node's identity (and the owner's settings)
 * in the state dir. Shared by `lattice-agent join` and the onboarding page.
 */
import { type JoinRequest, JoinResponse, LabelMap } from "../lib/protocol.ts";
import { VERSION } from "../lib/version.ts";
import { nodeLabels, type SavedSettings, saveSettings } from "./settings_flags.ts";
import { generateKeyPair, loadState, saveState } from "./state.ts";

/** Why a join failed, in words for the person, with a machine-readable code. */
export class JoinError extends Error {
  constructor(
    readonly code: "already_joined" | "invalid_input" | "unreachable" | "refused",
    message: string,
  ) {
    super(message);
    this.name = "JoinError";
  }
}

/** What to join with. */
export interface JoinOptions {
  /** The control plane's origin, e.g. https://lattice.example.com. */
  serverUrl: string;
  token: string;
  name: string;
  labels: Record<string, string>;
  settings: SavedSettings | null;
  stateDir: string;
}

/** What the control plane answered. */
export interface Joined {
  nodeId: string;
  poolName: string;
  approval: "pending" | "approved";
  name: string;
}

/** Join the control plane at `serverUrl` and save the identity; throws JoinError. */
export async function joinControlPlane(options: JoinOptions): Promise<Joined> {
  const { serverUrl, token, name, stateDir, settings } = options;
  const parsedLabels = LabelMap.safeParse(options.labels);
  if (!parsedLabels.success) {
    throw new JoinError("invalid_input", `invalid label: ${parsedLabels.error.issues[0].message}`);
  }
  const existing = await loadState(stateDir).catch(() => null);
  if (existing) {
    throw new JoinError(
      "already_joined",
      `already joined as node ${existing.state.nodeId} at ${existing.state.serverUrl}. ` +
        "Run `lattice-agent reset` first to join again.",
    );
  }
  const keys = await generateKeyPair();
  const body: JoinRequest = {
    token,
    publicKey: keys.publicKey,
    name,
    labels: nodeLabels(parsedLabels.data, settings),
    agentVersion: VERSION,
  };
  let res: Response;
  try {
    res = await fetch(new URL("/api/v1/agents/join", serverUrl), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch (err) {
    throw new JoinError(
      "unreachable",
      `cannot reach ${serverUrl}: ${
        err instanceof Error ? err.message : err
      }. Check the URL and that the control plane is running.`,
    );
  }
  const payload = await res.json().catch(() => null);
  if (!res.ok) {
    const message = payload?.error?.message ?? `the server answered ${res.status}`;
    throw new JoinError("refused", `join failed: ${message}`);
  }
  const joined = JoinResponse.parse(payload);
  await saveState(stateDir, {
    version: 1,
    nodeId: joined.nodeId,
    serverUrl,
    name,
    labels: parsedLabels.data,
    joinedAt: new Date().toISOString(),
    publicKey: keys.publicKey,
  }, keys.privateKeyPkcs8);
  if (settings) await saveSettings(stateDir, settings);
  return { nodeId: joined.nodeId, poolName: joined.poolName, approval: joined.approval, name };
}
