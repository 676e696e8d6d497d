/**
 * What each one-click template is, as plain data: the spec's validation (spec.ts), the
 * expansion into a runnable container (templates.ts) and the container limits
 * (container_spec.ts) read it from here, so a template's facts live in one place.
 */

/** Every template a workload may name; `custom` runs the user's image as given. */
export const TEMPLATE_NAMES = ["postgres", "redis", "minio", "custom"] as const;
/** A template name. */
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** The facts of one template. */
export interface TemplateDefinition {
  /** Used when the spec names no image. */
  image: string;
  /** Published for every allocation; the first is the one clients connect to. */
  ports: { container: number; protocol: "tcp"; name: string }[];
  /** Where the template's stateful `data` volume is mounted; null for none. */
  dataMountPath: string | null;
  /** Used for the resources the spec leaves out. */
  defaultResources: { cpuMillicores: number; memoryMiB: number };
  /** Below this the service does not start reliably, so the spec is refused. */
  minMemoryMiB: number;
  /** Process limit of the container. */
  pids: number;
  /** Environment variables holding the generated credentials, when the image reads them. */
  env: { user?: string; password?: string; database?: string };
}

/** Name of the volume a template adds for its data. */
export const DATA_VOLUME = "data";
/** The user name templates create when the spec does not set one. */
export const DEFAULT_USER = "lattice";
/** Process limit for containers whose template does not set one. */
export const DEFAULT_PIDS = 512;

/** Every template by name. */
export const TEMPLATES: Readonly<Record<TemplateName, TemplateDefinition>> = {
  postgres: {
    image: "postgres:16",
    ports: [{ container: 5432, protocol: "tcp", name: "postgres" }],
    dataMountPath: "/var/lib/postgresql/data",
    defaultResources: { cpuMillicores: 1000, memoryMiB: 512 },
    minMemoryMiB: 256,
    // One process per connection plus background workers: 512 runs out near 400 connections.
    pids: 1024,
    env: { user: "POSTGRES_USER", password: "POSTGRES_PASSWORD", database: "POSTGRES_DB" },
  },
  redis: {
    image: "redis:7",
    ports: [{ container: 6379, protocol: "tcp", name: "redis" }],
    dataMountPath: "/data",
    defaultResources: { cpuMillicores: 250, memoryMiB: 256 },
    minMemoryMiB: 32,
    pids: DEFAULT_PIDS,
    // redis:7 reads no credentials from the environment: the password goes on the command line.
    env: {},
  },
  minio: {
    image: "minio/minio",
    ports: [
      { container: 9000, protocol: "tcp", name: "api" },
      { container: 9001, protocol: "tcp", name: "console" },
    ],
    dataMountPath: "/data",
    defaultResources: { cpuMillicores: 500, memoryMiB: 512 },
    minMemoryMiB: 256,
    pids: DEFAULT_PIDS,
    env: { user: "MINIO_ROOT_USER", password: "MINIO_ROOT_PASSWORD" },
  },
  custom: {
    image: "",
    ports: [],
    dataMountPath: null,
    defaultResources: { cpuMillicores: 500, memoryMiB: 256 },
    minMemoryMiB: 16,
    pids: DEFAULT_PIDS,
    env: {},
  },
};

/**
 * Redis options that decide who may connect: the template sets the password itself, so a spec's
 * extra arguments may not replace it or add users beside it.
 */
export const REDIS_RESERVED_FLAGS = ["--requirepass", "--user", "--aclfile", "--include"] as const;
