import assert from "node:assert/strict";
import { WorkloadSpec, type WorkloadSpecInput } from "./spec.ts";
import {
  connectionInfo,
  type Credentials,
  expandedConnectionInfo,
  expandTemplate,
  newPassword,
} from "./templates.ts";

const workloadId = "0f8fad5b-d9cb-469f-a165-70867728950e";
/** A fixed random source: bytes 0, 1, 2, … */
const counting = (n: number) => Uint8Array.from({ length: n }, (_, i) => i);
const COUNTING_PASSWORD = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYX";
const BASE64URL_24 = /^[A-Za-z0-9_-]{32}$/;

function expand(input: WorkloadSpecInput, credentials?: Credentials | null) {
  return expandTemplate(WorkloadSpec.parse(input), { workloadId, random: counting, credentials });
}

Deno.test("expandTemplate() gives postgres its image, generated credentials, port and data volume", () => {
  const expanded = expand({ name: "shop-db", template: "postgres" });
  assert.deepEqual(expanded, {
    image: "postgres:16",
    env: {
      POSTGRES_USER: "lattice",
      POSTGRES_PASSWORD: COUNTING_PASSWORD,
      POSTGRES_DB: "shop_db",
    },
    ports: [{ container: 5432, protocol: "tcp", name: "postgres" }],
    volumes: [{ name: "data", mountPath: "/var/lib/postgresql/data", stateful: true }],
    credentials: { user: "lattice", password: COUNTING_PASSWORD, database: "shop_db" },
    connection: { template: "postgres", containerPort: 5432 },
  });
});

Deno.test("expandTemplate() gives redis a password on its command line and append-only data", () => {
  const expanded = expand({ name: "cache", template: "redis" });
  assert.equal(expanded.image, "redis:7");
  assert.deepEqual(expanded.command, [
    "redis-server",
    "--requirepass",
    COUNTING_PASSWORD,
    "--appendonly",
    "yes",
  ]);
  assert.deepEqual(expanded.env, {});
  assert.deepEqual(expanded.ports, [{ container: 6379, protocol: "tcp", name: "redis" }]);
  assert.deepEqual(expanded.volumes, [{ name: "data", mountPath: "/data", stateful: true }]);
  assert.deepEqual(expanded.credentials, {
    user: null,
    password: COUNTING_PASSWORD,
    database: null,
  });
  assert.deepEqual(expanded.connection, { template: "redis", containerPort: 6379 });
});

Deno.test("expandTemplate() gives minio root credentials, both ports and the server command", () => {
  const expanded = expand({ name: "s3", template: "minio" });
  assert.equal(expanded.image, "minio/minio");
  assert.deepEqual(expanded.env, {
    MINIO_ROOT_USER: "lattice",
    MINIO_ROOT_PASSWORD: COUNTING_PASSWORD,
  });
  assert.deepEqual(expanded.command, ["server", "/data", "--console-address", ":9001"]);
  assert.deepEqual(expanded.ports.map((p) => p.container), [9000, 9001]);
  assert.deepEqual(expanded.volumes, [{ name: "data", mountPath: "/data", stateful: true }]);
  assert.deepEqual(expanded.credentials, {
    user: "lattice",
    password: COUNTING_PASSWORD,
    database: null,
  });
  assert.equal(expanded.connection.containerPort, 9000);
});

Deno.test("expandTemplate() runs a custom workload as given, without credentials", () => {
  const expanded = expand({
    name: "web",
    image: "nginx:1.27",
    env: { A: "1" },
    command: ["nginx", "-g", "daemon off;"],
    ports: [{ container: 80 }, { container: 443 }],
    volumes: [{ name: "html", mountPath: "/usr/share/nginx/html" }],
  });
  assert.deepEqual(expanded, {
    image: "nginx:1.27",
    env: { A: "1" },
    command: ["nginx", "-g", "daemon off;"],
    ports: [{ container: 80, protocol: "tcp" }, { container: 443, protocol: "tcp" }],
    volumes: [{ name: "html", mountPath: "/usr/share/nginx/html", stateful: true }],
    credentials: null,
    connection: { template: "custom", containerPort: 80 },
  });
  assert.equal(expand({ name: "job", image: "busybox" }).connection.containerPort, null);
  assert.equal(expand({ name: "job", image: "busybox" }).command, undefined);
});

Deno.test("expandTemplate() lets the spec override what is safe to override", () => {
  const cases: [string, WorkloadSpecInput, (e: ReturnType<typeof expand>) => void][] = [
    ["an image tag", { name: "db", template: "postgres", image: "postgres:15-alpine" }, (e) => {
      assert.equal(e.image, "postgres:15-alpine");
    }],
    ["user, database and extra env", {
      name: "db",
      template: "postgres",
      env: { POSTGRES_USER: "shop", POSTGRES_DB: "orders", TZ: "UTC" },
    }, (e) => {
      assert.deepEqual(e.credentials, {
        user: "shop",
        password: COUNTING_PASSWORD,
        database: "orders",
      });
      assert.equal(e.env.TZ, "UTC");
    }],
    ["a password of its own", {
      name: "db",
      template: "postgres",
      env: { POSTGRES_PASSWORD: "a long passphrase" },
    }, (e) => {
      assert.equal(e.credentials?.password, "a long passphrase");
      assert.equal(e.env.POSTGRES_PASSWORD, "a long passphrase");
    }],
    ["postgres server options", {
      name: "db",
      template: "postgres",
      command: ["postgres", "-c", "max_connections=200"],
    }, (e) => assert.deepEqual(e.command, ["postgres", "-c", "max_connections=200"])],
    [
      "extra redis arguments, with or without redis-server",
      {
        name: "cache",
        template: "redis",
        command: ["redis-server", "--maxmemory", "100mb"],
      },
      (e) => assert.deepEqual(e.command?.slice(3), ["--appendonly", "yes", "--maxmemory", "100mb"]),
    ],
    ["a template port's name and an extra port", {
      name: "db",
      template: "postgres",
      ports: [{ container: 9187, name: "metrics" }, { container: 5432, name: "sql" }],
    }, (e) => {
      assert.deepEqual(e.ports, [
        { container: 5432, protocol: "tcp", name: "sql" },
        { container: 9187, protocol: "tcp", name: "metrics" },
      ]);
    }],
    ["the data volume's size", {
      name: "db",
      template: "postgres",
      volumes: [{ name: "data", mountPath: "/var/lib/postgresql/data", sizeGiB: 20 }],
    }, (e) => {
      assert.deepEqual(e.volumes, [
        { name: "data", mountPath: "/var/lib/postgresql/data", stateful: true, sizeGiB: 20 },
      ]);
    }],
    ["an extra volume beside the data volume", {
      name: "s3",
      template: "minio",
      volumes: [{ name: "certs", mountPath: "/root/.minio/certs" }],
    }, (e) => assert.deepEqual(e.volumes.map((v) => v.name), ["data", "certs"])],
  ];
  for (const [what, input, check] of cases) {
    try {
      check(expand(input));
    } catch (error) {
      throw new Error(`${what}: ${(error as Error).message}`);
    }
  }
});

Deno.test("expandTemplate() never lets an empty value replace a generated credential", () => {
  // spec.ts refuses these; expansion still holds if a spec reaches it some other way.
  const spec = {
    ...WorkloadSpec.parse({ name: "db", template: "postgres" }),
    env: { POSTGRES_PASSWORD: "", POSTGRES_USER: "", POSTGRES_DB: "" },
  };
  const expanded = expandTemplate(spec, { workloadId, random: counting });
  assert.deepEqual(expanded.credentials, {
    user: "lattice",
    password: COUNTING_PASSWORD,
    database: "db",
  });
  assert.equal(expanded.env.POSTGRES_PASSWORD, COUNTING_PASSWORD);
});

Deno.test("expandTemplate() reuses the workload's stored credentials instead of new ones", () => {
  const stored = { user: "lattice", password: "stored-password-123", database: "shop_db" };
  for (const template of ["postgres", "redis", "minio"] as const) {
    const expanded = expand({ name: "shop-db", template }, stored);
    assert.equal(expanded.credentials?.password, stored.password, template);
  }
  assert.deepEqual(expand({ name: "shop-db", template: "postgres" }, stored).credentials, stored);
});

Deno.test("expandTemplate() generates a different strong password for every workload", () => {
  const spec = WorkloadSpec.parse({ name: "db", template: "postgres" });
  const passwords = new Set(
    Array.from({ length: 20 }, () => expandTemplate(spec, { workloadId }).credentials!.password),
  );
  assert.equal(passwords.size, 20);
  for (const password of passwords) assert.match(password, BASE64URL_24);
});

Deno.test("newPassword() refuses a random source that returns the wrong number of bytes", () => {
  assert.equal(newPassword(counting), COUNTING_PASSWORD);
  assert.throws(() => newPassword(() => new Uint8Array(8), workloadId), /gave 8 bytes, not 24/);
});

Deno.test("connectionInfo() builds a ready connection string for each template", () => {
  const creds = { user: "lattice", password: "p@ss/w:rd#?", database: "shop_db" };
  const at = { host: "203.0.113.7", port: 40123 };
  const cases: [Parameters<typeof connectionInfo>, ReturnType<typeof connectionInfo>][] = [
    [["postgres", creds, at], {
      ...at,
      ...creds,
      url: "postgres://lattice:p%40ss%2Fw%3Ard%23%3F@203.0.113.7:40123/shop_db",
    }],
    [["redis", { user: null, password: "s3cret", database: null }, at], {
      ...at,
      user: null,
      password: "s3cret",
      database: null,
      url: "redis://:s3cret@203.0.113.7:40123/0",
    }],
    [["minio", { user: "lattice", password: "s3cret", database: null }, at], {
      ...at,
      user: "lattice",
      password: "s3cret",
      database: null,
      url: "http://203.0.113.7:40123",
    }],
    [["custom", null, at], { ...at, user: null, password: null, database: null, url: null }],
    [["redis", { user: null, password: "x", database: null }, { host: "::1", port: 6379 }], {
      host: "::1",
      port: 6379,
      user: null,
      password: "x",
      database: null,
      url: "redis://:x@[::1]:6379/0",
    }],
  ];
  for (const [args, expected] of cases) assert.deepEqual(connectionInfo(...args), expected);
});

Deno.test("connectionInfo() refuses a template workload without credentials", () => {
  assert.throws(
    () => connectionInfo("postgres", null, { host: "h", port: 1 }),
    /postgres workload without its credentials/,
  );
});

Deno.test("expandedConnectionInfo() gives a postgres URL that parses back to the credentials", () => {
  const expanded = expand({ name: "shop-db", template: "postgres" });
  const info = expandedConnectionInfo(expanded, { host: "node-a.example", port: 40001 });
  const url = new URL(info.url!);
  assert.equal(url.protocol, "postgres:");
  assert.equal(decodeURIComponent(url.password), expanded.credentials!.password);
  assert.equal(url.username, "lattice");
  assert.equal(url.pathname, "/shop_db");
  assert.equal(url.port, "40001");
});
