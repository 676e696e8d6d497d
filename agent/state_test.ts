import assert from "node:assert/strict";
import { proofMessage } from "../lib/protocol.ts";
import { decodeBase64Url } from "./encoding.ts";
import {
  type AgentState,
  defaultStateDir,
  deleteState,
  generateKeyPair,
  loadState,
  saveState,
  signNonce,
} from "./state.ts";

const isPosix = Deno.build.os !== "windows";

function stateFor(publicKey: string): AgentState {
  return {
    version: 1,
    nodeId: "0f8fad5b-d9cb-469f-a165-70867728950e",
    serverUrl: "https://lattice.example",
    name: "laptop",
    labels: { zone: "home" },
    joinedAt: "2026-01-01T00:00:00.000Z",
    publicKey,
  };
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "state_test_" });
  try {
    await fn(`${root}/agent`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("defaultStateDir() prefers the env var, then root's dir, then the home dir", () => {
  assert.equal(defaultStateDir({ LATTICE_AGENT_STATE_DIR: "/srv/a", HOME: "/h" }, 0), "/srv/a");
  assert.equal(defaultStateDir({ HOME: "/root" }, 0), "/var/lib/lattice-agent");
  assert.equal(defaultStateDir({ HOME: "/home/ada/" }, 1000), "/home/ada/.lattice-agent");
  assert.equal(
    defaultStateDir({ USERPROFILE: "C:\\Users\\ada" }, null),
    "C:\\Users\\ada/.lattice-agent",
  );
  assert.throws(() => defaultStateDir({}, 1000), /LATTICE_AGENT_STATE_DIR/);
});

Deno.test("loadState() returns null before the machine has joined", () =>
  withDir(async (dir) => {
    assert.equal(await loadState(dir), null);
  }));

Deno.test("saveState() and loadState() round-trip the identity and a working key", () =>
  withDir(async (dir) => {
    const keys = await generateKeyPair();
    assert.match(keys.publicKey, /^[A-Za-z0-9_-]{43}$/);
    await saveState(dir, stateFor(keys.publicKey), keys.privateKeyPkcs8);
    const loaded = await loadState(dir);
    assert.ok(loaded);
    assert.deepEqual(loaded.state, stateFor(keys.publicKey));
    assert.equal(loaded.privateKey.extractable, false);

    const message = proofMessage("nonce-0123456789abcdef", loaded.state.nodeId);
    const signature = await signNonce(loaded.privateKey, message);
    const publicKey = await crypto.subtle.importKey(
      "raw",
      decodeBase64Url(keys.publicKey) as Uint8Array<ArrayBuffer>,
      { name: "Ed25519" },
      false,
      ["verify"],
    );
    const verify = (data: Uint8Array) =>
      crypto.subtle.verify(
        { name: "Ed25519" },
        publicKey,
        decodeBase64Url(signature) as Uint8Array<ArrayBuffer>,
        data as Uint8Array<ArrayBuffer>,
      );
    assert.equal(await verify(message), true);
    assert.equal(await verify(proofMessage("another-nonce-0123456", loaded.state.nodeId)), false);
  }));

Deno.test({
  name: "saveState() creates the dir with mode 0700 and the key with mode 0600",
  ignore: !isPosix,
  fn: () =>
    withDir(async (dir) => {
      const keys = await generateKeyPair();
      await saveState(dir, stateFor(keys.publicKey), keys.privateKeyPkcs8);
      assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
      assert.equal((await Deno.stat(`${dir}/node.key`)).mode! & 0o777, 0o600);
      assert.equal((await Deno.stat(`${dir}/state.json`)).mode! & 0o777, 0o600);
      const leftovers = [];
      for await (const entry of Deno.readDir(dir)) leftovers.push(entry.name);
      assert.deepEqual(leftovers.sort(), ["node.key", "state.json"]);
    }),
});

Deno.test({
  name: "loadState() refuses a key file others can read and says how to fix it",
  ignore: !isPosix,
  fn: () =>
    withDir(async (dir) => {
      const keys = await generateKeyPair();
      await saveState(dir, stateFor(keys.publicKey), keys.privateKeyPkcs8);
      await Deno.chmod(`${dir}/node.key`, 0o644);
      await assert.rejects(loadState(dir), /mode 0644\); run: chmod 600 .*node\.key/);
      await Deno.chmod(`${dir}/node.key`, 0o600);
      assert.ok(await loadState(dir));
    }),
});

Deno.test("loadState() explains corrupt state and key files", () =>
  withDir(async (dir) => {
    const keys = await generateKeyPair();
    await saveState(dir, stateFor(keys.publicKey), keys.privateKeyPkcs8);
    const key = await Deno.readTextFile(`${dir}/node.key`);

    await Deno.writeTextFile(`${dir}/state.json`, "{not json");
    await assert.rejects(
      loadState(dir),
      /State file ".*state\.json" is corrupt.*lattice-agent reset/,
    );

    await Deno.writeTextFile(`${dir}/state.json`, JSON.stringify({ version: 2 }));
    await assert.rejects(loadState(dir), /is corrupt \(version/);

    await Deno.writeTextFile(`${dir}/state.json`, JSON.stringify(stateFor(keys.publicKey)));
    await Deno.writeTextFile(`${dir}/node.key`, "AAAA\n", { mode: 0o600 });
    await assert.rejects(loadState(dir), /Key file ".*node\.key" is corrupt/);

    const other = await generateKeyPair();
    await Deno.writeTextFile(`${dir}/state.json`, JSON.stringify(stateFor(other.publicKey)));
    await Deno.writeTextFile(`${dir}/node.key`, key);
    await assert.rejects(loadState(dir), /does not match the public key/);

    await Deno.remove(`${dir}/node.key`);
    await assert.rejects(loadState(dir), /Key file ".*node\.key" is missing/);
  }));

Deno.test("saveState() refuses an invalid state before writing anything", () =>
  withDir(async (dir) => {
    const keys = await generateKeyPair();
    await assert.rejects(
      saveState(dir, { ...stateFor(keys.publicKey), nodeId: "x" }, keys.privateKeyPkcs8),
    );
    assert.equal(await Deno.stat(dir).then(() => true, () => false), false);
  }));

Deno.test("deleteState() forgets the node but keeps the owner's policy", () =>
  withDir(async (dir) => {
    const keys = await generateKeyPair();
    await saveState(dir, stateFor(keys.publicKey), keys.privateKeyPkcs8);
    await Deno.writeTextFile(`${dir}/outbox.jsonl`, "");
    await Deno.writeTextFile(`${dir}/policy.json`, "{}");
    await deleteState(dir);
    assert.equal(await loadState(dir), null);
    const left = [];
    for await (const entry of Deno.readDir(dir)) left.push(entry.name);
    assert.deepEqual(left, ["policy.json"]);
    await Deno.remove(`${dir}/policy.json`);
    await deleteState(dir);
    assert.equal(await Deno.stat(dir).then(() => true, () => false), false);
    await deleteState(dir); // nothing left: still fine
  }));
