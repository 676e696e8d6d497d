import assert from "node:assert/strict";
import { isDockerError } from "./errors.ts";
import { type DockerTarget, filtersParam, labelFilter, resolveDockerTarget } from "./transport.ts";

const targetCases: {
  name: string;
  opts: { socketPath?: string; dockerHost?: string };
  env?: string;
  want: DockerTarget;
}[] = [
  {
    name: "defaults to /var/run/docker.sock",
    opts: {},
    want: {
      socketPath: "/var/run/docker.sock",
      baseUrl: "http://docker",
      label: "/var/run/docker.sock",
    },
  },
  {
    name: "reads a unix:// DOCKER_HOST",
    opts: {},
    env: "unix:///run/user/1000/docker.sock",
    want: {
      socketPath: "/run/user/1000/docker.sock",
      baseUrl: "http://docker",
      label: "/run/user/1000/docker.sock",
    },
  },
  {
    name: "turns tcp:// into plain http",
    opts: {},
    env: "tcp://127.0.0.1:2375",
    want: { socketPath: null, baseUrl: "http://127.0.0.1:2375", label: "tcp://127.0.0.1:2375" },
  },
  {
    name: "uses port 2375 when tcp:// has none",
    opts: { dockerHost: "tcp://dockerhost" },
    want: { socketPath: null, baseUrl: "http://dockerhost:2375", label: "tcp://dockerhost" },
  },
  {
    name: "prefers an explicit socket path over DOCKER_HOST",
    opts: { socketPath: "/tmp/d.sock" },
    env: "tcp://127.0.0.1:2375",
    want: { socketPath: "/tmp/d.sock", baseUrl: "http://docker", label: "/tmp/d.sock" },
  },
  {
    name: "prefers the dockerHost option over the environment",
    opts: { dockerHost: "unix:///a.sock" },
    env: "unix:///b.sock",
    want: { socketPath: "/a.sock", baseUrl: "http://docker", label: "/a.sock" },
  },
];

for (const c of targetCases) {
  Deno.test(`resolveDockerTarget() ${c.name}`, () => {
    assert.deepEqual(resolveDockerTarget(c.opts, c.env), c.want);
  });
}

Deno.test("resolveDockerTarget() refuses ssh:// and npipe:// hosts with a clear message", () => {
  for (const host of ["ssh://me@box", "npipe:////./pipe/docker_engine"]) {
    assert.throws(
      () => resolveDockerTarget({ dockerHost: host }, undefined),
      (e) => isDockerError(e, "unsupported_host") && e.message.includes(host),
    );
  }
});

Deno.test("labelFilter() and filtersParam() build Docker's filters JSON", () => {
  assert.deepEqual(labelFilter({ "dev.lattice.managed": "true", "dev.lattice.node": true }), [
    "dev.lattice.managed=true",
    "dev.lattice.node",
  ]);
  assert.equal(filtersParam({ label: [], type: undefined }), undefined);
  assert.equal(
    filtersParam({ label: ["a=b"], type: ["container"] }),
    '{"label":["a=b"],"type":["container"]}',
  );
});
