// Integration tests against the real Docker Engine (scripts/provision.sh starts one): connection,
// images, container lifecycle and the errors Docker reports. They fail, never skip, when Docker
// is unreachable. Streams (logs, stats, events, exec) are in client_streams_test.ts.

import assert from "node:assert/strict";
import { BUSYBOX_INDEX_HTML, ensureBusyboxImage } from "../../tests/helpers/images.ts";
import { compareApiVersions } from "./api_version.ts";
import { DockerClient, runtimeNames } from "./client.ts";
import { DockerDaemonDown, DockerError, isDockerError } from "./errors.ts";
import {
  collect,
  create,
  eventually,
  exited,
  freePort,
  MANAGED,
  MiB,
  RUN,
  SOCKET,
  texts,
  uniqueName,
  withDocker,
} from "./test_helpers.ts";
import type { ContainerCreateBody } from "./types.ts";

Deno.test("DockerClient connects to the local engine and reads ping, version and info", async () => {
  await withDocker(async (docker) => {
    assert.equal(docker.socketPath, SOCKET);
    assert.ok(compareApiVersions(docker.apiVersion, "1.41") >= 0, docker.apiVersion);
    const ping = await docker.ping();
    assert.match(ping.apiVersion, /^1\.\d+$/);
    assert.equal(ping.osType, "linux");
    const version = await docker.version();
    assert.equal(version.Os, "linux");
    assert.ok(version.Version && version.ApiVersion && version.Arch && version.KernelVersion);
    const info = await docker.info();
    assert.ok(info.NCPU > 0 && info.MemTotal > 0, "NCPU and MemTotal are positive");
    assert.ok(info.DockerRootDir.startsWith("/"));
    assert.ok(runtimeNames(info).includes("runc"), `runtimes: ${runtimeNames(info)}`);
    assert.ok(info.ServerVersion && info.OperatingSystem);
    assert.ok(info.ContainersRunning <= info.Containers);
  });
});

Deno.test("a client pointed at a missing socket fails with daemon_down and says what to do", async () => {
  const socketPath = `/tmp/lattice-no-docker-${RUN}/docker.sock`;
  await assert.rejects(DockerClient.connect({ socketPath }), (err) => {
    assert.ok(err instanceof DockerDaemonDown);
    assert.ok(isDockerError(err, "daemon_down"));
    assert.ok(err.message.startsWith(`Cannot reach Docker at ${socketPath}: `), err.message);
    assert.match(err.message, /sudo systemctl start docker.*DOCKER_HOST/);
    return true;
  });
});

Deno.test("imageInspect() answers null for a missing image and a failed pull keeps Docker's message", async () => {
  await withDocker(async (docker) => {
    const missing = "lattice-test/definitely-missing:0";
    assert.equal(await docker.imageInspect(missing), null);
    // Ask Docker directly for the same pull so we know its exact wording.
    const http = Deno.createHttpClient({ proxy: { transport: "unix", path: SOCKET } });
    const raw = await fetch(
      `http://docker/v${docker.apiVersion}/images/create?fromImage=lattice-test/definitely-missing&tag=0`,
      { method: "POST", client: http } as RequestInit,
    );
    const direct = await raw.json() as { message?: string };
    http.close();
    await assert.rejects(docker.imagePull(missing), (err) => {
      assert.ok(err instanceof DockerError, String(err));
      assert.ok(["pull_failed", "no_such_image"].includes(err.code), err.code);
      assert.equal(err.message, direct.message);
      return true;
    });
  });
});

Deno.test("imageImport() creates an image from a tarball that ensureBusyboxImage() then reuses", async () => {
  await withDocker(async (docker) => {
    const ref = `lattice-test/busybox-import-${RUN}:1`;
    try {
      assert.equal(await ensureBusyboxImage(docker, ref), ref);
      const image = await docker.imageInspect(ref);
      assert.deepEqual(image?.Config?.Cmd, ["sh"]);
      assert.equal(await ensureBusyboxImage(docker, ref), ref);
      const listed = await docker.imageList();
      assert.ok(listed.some((i) => i.RepoTags?.includes(ref)), "imageList() shows the import");
    } finally {
      await docker.imageRemove(ref, { force: true });
    }
    assert.equal(await docker.imageInspect(ref), null);
  });
});

Deno.test("a created container gets its labels, env and limits and serves HTTP on its published port", async () => {
  await withDocker(async (docker, image, cleanup) => {
    const port = freePort();
    const id = await create(docker, cleanup, {
      Image: image,
      Cmd: ["sh", "-c", 'echo "greeting=$GREETING"; exec httpd -f -p 8080 -h /www'],
      Env: ["GREETING=hello"],
      ExposedPorts: { "8080/tcp": {} },
      HostConfig: {
        NanoCpus: 500_000_000,
        Memory: 64 * MiB,
        PidsLimit: 64,
        PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: String(port) }] },
      },
    });
    await docker.containerStart(id);
    const info = await docker.containerInspect(id);
    assert.ok(info?.State.Running);
    assert.equal(info.Config.Labels?.["dev.lattice.test"], RUN);
    assert.ok(info.Config.Env?.includes("GREETING=hello"));
    assert.equal(info.HostConfig.NanoCpus, 500_000_000);
    assert.equal(info.HostConfig.Memory, 64 * MiB);
    assert.equal(info.HostConfig.PidsLimit, 64);
    assert.deepEqual(info.NetworkSettings.Ports?.["8080/tcp"], [
      { HostIp: "127.0.0.1", HostPort: String(port) },
    ]);
    const body = await eventually("httpd to answer", async () => {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      const text = await res.text();
      return res.ok ? text : undefined;
    });
    assert.equal(body, BUSYBOX_INDEX_HTML);
    const lines = await collect(docker.containerLogs(id, {}));
    assert.deepEqual(texts(lines, "stdout"), ["greeting=hello"]);

    const byValue = await docker.containerList({ labels: { "dev.lattice.test": RUN } });
    assert.deepEqual(byValue.map((c) => c.Id), [id]);
    const byKey = await docker.containerList({ labels: { "dev.lattice.managed": true } });
    assert.ok(byKey.some((c) => c.Id === id));
    await docker.containerStop(id, { timeoutSeconds: 1 });
    assert.deepEqual(await docker.containerList({ labels: { "dev.lattice.test": RUN } }), []);
    const all = await docker.containerList({ all: true, labels: { "dev.lattice.test": RUN } });
    assert.deepEqual(all.map((c) => c.Id), [id]);
  });
});

Deno.test("creating a container under a taken name fails with name_conflict", async () => {
  await withDocker(async (docker, image, cleanup) => {
    const name = uniqueName("dup");
    await create(docker, cleanup, { Image: image, Cmd: ["true"] }, name);
    await assert.rejects(docker.containerCreate(name, { Image: image, Cmd: ["true"] }), (err) => {
      assert.ok(isDockerError(err, "name_conflict"), String(err));
      assert.equal(err.status, 409);
      assert.match(err.message, /is already in use by container/);
      return true;
    });
  });
});

Deno.test("a second container binding the same host port fails to start with port_allocated", async () => {
  await withDocker(async (docker, image, cleanup) => {
    const port = String(freePort());
    const body: ContainerCreateBody = {
      Image: image,
      Cmd: ["sleep", "60"],
      ExposedPorts: { "8080/tcp": {} },
      HostConfig: { PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: port }] } },
    };
    const first = await create(docker, cleanup, body);
    const second = await create(docker, cleanup, body);
    await docker.containerStart(first);
    await assert.rejects(docker.containerStart(second), (err) => {
      assert.ok(isDockerError(err, "port_allocated"), String(err));
      assert.match(err.message, /port is already allocated|address already in use/);
      return true;
    });
  });
});

Deno.test("stop, start, restart, kill and remove move a container through its states", async () => {
  await withDocker(async (docker, image, cleanup) => {
    const id = await create(docker, cleanup, { Image: image, Cmd: ["sleep", "600"] });
    const state = async () => (await docker.containerInspect(id))?.State.Status;
    await docker.containerStart(id);
    await docker.containerStart(id); // 304: already started
    assert.equal(await state(), "running");
    await docker.containerStop(id, { timeoutSeconds: 1 });
    await docker.containerStop(id, { timeoutSeconds: 1 }); // 304: already stopped
    assert.equal(await state(), "exited");
    await docker.containerRestart(id, { timeoutSeconds: 1 });
    assert.equal(await state(), "running");
    await docker.containerKill(id, "SIGKILL");
    assert.equal(await exited(docker, id), 137);
    await assert.rejects(docker.containerKill(id), (err) => isDockerError(err, "conflict"));
    await docker.containerRemove(id);
    assert.equal(await docker.containerInspect(id), null);
    await assert.rejects(
      docker.containerRemove(id),
      (err) => isDockerError(err, "no_such_container"),
    );
  });
});

Deno.test("volumes can be created, listed by label and removed", async () => {
  await withDocker(async (docker) => {
    const name = uniqueName("vol");
    const created = await docker.volumeCreate({ Name: name, Labels: MANAGED });
    try {
      assert.equal(created.name, name);
      const listed = await docker.volumeList({ labels: { "dev.lattice.test": RUN } });
      assert.deepEqual(listed, [{ name, labels: MANAGED }]);
      const byKey = await docker.volumeList({ labels: { "dev.lattice.managed": true } });
      assert.ok(byKey.some((v) => v.name === name));
    } finally {
      await docker.volumeRemove(name);
    }
    assert.deepEqual(await docker.volumeList({ labels: { "dev.lattice.test": RUN } }), []);
    await assert.rejects(docker.volumeRemove(name), (err) => isDockerError(err, "no_such_volume"));
  });
});

Deno.test("networkList() shows the default bridge network and filters by label", async () => {
  await withDocker(async (docker) => {
    const networks = await docker.networkList();
    assert.ok(networks.some((n) => n.name === "bridge" && n.id.length > 0));
    assert.deepEqual(await docker.networkList({ labels: { "dev.lattice.test": RUN } }), []);
    await assert.rejects(
      docker.networkRemove(`lattice-missing-${RUN}`),
      (err) => isDockerError(err, "no_such_network"),
    );
  });
});
