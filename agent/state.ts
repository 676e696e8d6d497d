/**
 * The agent's state dir: who this node is (`state.json`) and its Ed25519 private key
 * (`node.key`, PKCS#8 in base64, mode 0600). The dir is created with mode 0700. Files are written
 * to a temporary name and renamed, so a crash never leaves half a key behind.
 */
import { z } from "zod";
import { LabelMap } from "../lib/protocol.ts";
import { decodeBase64, encodeBase64, encodeBase64Url } from "./encoding.ts";
import { OUTBOX_FILES } from "./outbox.ts";

/** `state.json`: the node's identity as the control plane knows it. */
export const AgentState = z.object({
  version: z.literal(1),
  nodeId: z.string().uuid(),
  serverUrl: z.string().url(),
  name: z.string().min(1).max(100),
  labels: LabelMap,
  joinedAt: z.string().datetime({ offset: true }),
  /** Ed25519 public key, raw 32 bytes, base64url. */
  publicKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
});
export type AgentState = z.infer<typeof AgentState>;

const STATE_FILE = "state.json";
const KEY_FILE = "node.key";
const ED25519 = { name: "Ed25519" } as const;

/**
 * Where the agent keeps its state: `LATTICE_AGENT_STATE_DIR`, else /var/lib/lattice-agent for
 * root, else ~/.lattice-agent.
 */
export function defaultStateDir(
  env: Record<string, string | undefined>,
  uid: number | null,
): string {
  if (env.LATTICE_AGENT_STATE_DIR) return env.LATTICE_AGENT_STATE_DIR;
  if (uid === 0) return "/var/lib/lattice-agent";
  const home = env.HOME ?? env.USERPROFILE;
  if (!home) {
    throw new Error(
      "Cannot choose a state dir: HOME is not set. Set LATTICE_AGENT_STATE_DIR or pass --state-dir.",
    );
  }
  return `${home.replace(/[\\/]+$/, "")}/.lattice-agent`;
}

/** A fresh Ed25519 key pair: the public key as base64url raw bytes, the private key as PKCS#8. */
export async function generateKeyPair(): Promise<
  { publicKey: string; privateKeyPkcs8: Uint8Array }
> {
  const pair = await crypto.subtle.generateKey(ED25519, true, ["sign", "verify"]) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  return { publicKey: encodeBase64Url(raw), privateKeyPkcs8: pkcs8 };
}

/** Sign `message` with the node's private key; the signature is base64url. */
export async function signNonce(privateKey: CryptoKey, message: Uint8Array): Promise<string> {
  const signature = await crypto.subtle.sign(
    ED25519,
    privateKey,
    message as Uint8Array<ArrayBuffer>,
  );
  return encodeBase64Url(new Uint8Array(signature));
}

/** Write the node's identity and private key into `dir` (created with mode 0700 if missing). */
export async function saveState(
  dir: string,
  state: AgentState,
  privateKeyPkcs8: Uint8Array,
): Promise<void> {
  const valid = AgentState.parse(state);
  await ensurePrivateDir(dir);
  // The key first: a state.json without its key would look joined but could not prove it.
  await writeFileAtomic(`${dir}/${KEY_FILE}`, encodeBase64(privateKeyPkcs8) + "\n");
  await writeFileAtomic(`${dir}/${STATE_FILE}`, JSON.stringify(valid, null, 2) + "\n");
}

/**
 * The node's identity and private key, or null when this machine has not joined. Corrupt files,
 * a key that does not match the public key, or a key readable by others are errors that say
 * how to fix them.
 */
export async function loadState(
  dir: string,
): Promise<{ state: AgentState; privateKey: CryptoKey } | null> {
  const statePath = `${dir}/${STATE_FILE}`;
  const keyPath = `${dir}/${KEY_FILE}`;
  const stateText = await readIfPresent(statePath);
  if (stateText === null) return null;
  const reset = `Run \`lattice-agent reset\` and join again.`;
  let state: AgentState;
  try {
    state = AgentState.parse(JSON.parse(stateText));
  } catch (error) {
    throw new Error(`State file "${statePath}" is corrupt (${summarise(error)}). ${reset}`);
  }
  const keyInfo = await Deno.stat(keyPath).catch((error) => {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`Key file "${keyPath}" is missing. ${reset}`);
    }
    throw error;
  });
  // mode is null on Windows, where the dir's ACL is what protects the key.
  if (keyInfo.mode !== null && (keyInfo.mode & 0o077) !== 0) {
    const mode = (keyInfo.mode & 0o777).toString(8).padStart(4, "0");
    throw new Error(
      `Key file "${keyPath}" is readable by other users (mode ${mode}); run: chmod 600 ${keyPath}`,
    );
  }
  let privateKey: CryptoKey;
  try {
    const pkcs8 = decodeBase64(await Deno.readTextFile(keyPath)) as Uint8Array<ArrayBuffer>;
    const extractable = await crypto.subtle.importKey("pkcs8", pkcs8, ED25519, true, ["sign"]);
    const jwk = await crypto.subtle.exportKey("jwk", extractable);
    if (jwk.x !== state.publicKey) {
      throw new Error("it does not match the public key in state.json");
    }
    privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, ED25519, false, ["sign"]);
  } catch (error) {
    throw new Error(`Key file "${keyPath}" is corrupt (${summarise(error)}). ${reset}`);
  }
  return { state, privateKey };
}

/**
 * Forget this node: remove its identity, key and offline buffer. The owner's policy.json stays;
 * the dir itself goes only when nothing else is left in it.
 */
export async function deleteState(dir: string): Promise<void> {
  for (const file of [STATE_FILE, KEY_FILE, ...OUTBOX_FILES]) {
    await Deno.remove(`${dir}/${file}`).catch(ignoreNotFound);
  }
  if (await isEmptyDir(dir)) await Deno.remove(dir).catch(ignoreNotFound);
}

async function isEmptyDir(dir: string): Promise<boolean> {
  try {
    for await (const _entry of Deno.readDir(dir)) return false;
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await Deno.stat(dir);
    // An existing dir is left as it is: it may be one the owner chose and set up themselves.
    return;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode is filtered by the umask; chmod is not. (No-op error on Windows.)
  await Deno.chmod(dir, 0o700).catch(ignoreUnsupported);
}

/** Write `text` to `path` with mode 0600 through a temporary file, synced before the rename. */
async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temp = `${path}.tmp-${crypto.randomUUID()}`;
  const file = await Deno.open(temp, { write: true, createNew: true, mode: 0o600 });
  try {
    const data = new TextEncoder().encode(text);
    // write() may take only part of the buffer.
    for (let done = 0; done < data.length;) done += await file.write(data.subarray(done));
    await file.syncData();
  } finally {
    file.close();
  }
  try {
    await Deno.chmod(temp, 0o600).catch(ignoreUnsupported);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

async function readIfPresent(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

function ignoreNotFound(error: unknown): void {
  if (!(error instanceof Deno.errors.NotFound)) throw error;
}

function ignoreUnsupported(error: unknown): void {
  if (!(error instanceof Deno.errors.NotSupported)) throw error;
}

function summarise(error: unknown): string {
  if (error instanceof z.ZodError) {
    return error.issues.map((i) => `${i.path.join(".") || "(top level)"}: ${i.message}`).join("; ");
  }
  return error instanceof Error ? error.message : String(error);
}
