/**
 * Workloads as the API offers them: create (with Idempotency-Key), read, change, start, stop,
 * restart, delete and connection details. Every change stores desired state first and then
 * enqueues the workload for the scheduler; the reconciler catches anything a crash between the
 * two would drop. Users see only their own workloads (others' are 404); admins see all.
 */
import type { Db, Queryable } from "../../db/db.ts";
import { isUniqueViolation } from "../../db/db.ts";
import { appendAudits, type AuditEntry } from "../../db/audit_log.ts";
import * as store from "../../db/workloads.ts";
import type { AppContext } from "../app_context.ts";
import type { Principal, RequestMeta } from "../auth/principal.ts";
import { open, seal } from "../crypto/secret_box.ts";
import { ConflictError, HttpError, NotFoundError, ValidationError } from "../errors.ts";
import { auditWithMeta } from "../nodes/audit.ts";
import { type ConnectionInfo, connectionInfo, WorkloadCredentials } from "./connection.ts";
import { applyWorkloadPatch, type WorkloadPatch, type WorkloadSpec } from "./spec.ts";
import { expandTemplate } from "./templates.ts";

/** A workload with its allocations, as the API shows it. */
export interface WorkloadView {
  workload: store.Workload;
  allocations: store.Allocation[];
}

type Deps = Pick<AppContext, "db" | "scheduler" | "encryptionKey" | "log" | "workloadChanges">;

/** SHA-256 hex of the parsed request, for Idempotency-Key comparisons. */
async function requestHash(spec: WorkloadSpec): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(spec));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A create waiting for its batch (`CreateBatcher`). */
interface PendingCreate {
  workload: store.NewWorkload;
  audit: AuditEntry;
  createdBy: string;
  resolve: (stored: store.Workload | null) => void;
  reject: (err: unknown) => void;
}

/** Most creates stored in one transaction. */
const CREATE_BATCH_MAX = 500;

/**
 * Group commit for creates without an Idempotency-Key: creates that arrive while a batch is
 * being stored wait and go together in the next one, so N concurrent creates cost three
 * statements and one commit instead of 4N statements and N commits. Alone, a create waits for
 * nothing but the next turn of the event loop. If a batch fails, its creates are retried one by
 * one, so one bad create fails only its own request.
 */
class CreateBatcher {
  #queue: PendingCreate[] = [];
  #busy = false;
  constructor(private readonly db: Db) {}

  /** Store the workload with its event and audit record; null when the name is taken. */
  add(create: Omit<PendingCreate, "resolve" | "reject">): Promise<store.Workload | null> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ ...create, resolve, reject });
      if (!this.#busy) {
        this.#busy = true;
        setTimeout(() => void this.#drain(), 0);
      }
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, CREATE_BATCH_MAX);
        try {
          await this.#store(batch);
        } catch (err) {
          if (batch.length === 1) batch[0].reject(err);
          else {
            for (const c of batch) await this.#store([c]).catch((e) => c.reject(e));
          }
        }
      }
    } finally {
      this.#busy = false;
    }
  }

  async #store(batch: PendingCreate[]): Promise<void> {
    const stored = await this.db.transaction(async (tx) => {
      const rows = await store.insertWorkloads(tx, batch.map((c) => c.workload));
      const ids = new Set(rows.map((w) => w.id));
      const mine = batch.filter((c) => ids.has(c.workload.id));
      await store.appendWorkloadEvents(
        tx,
        mine.map((c) => ({
          workloadId: c.workload.id,
          kind: "created",
          message: `created by ${c.createdBy}`,
        })),
      );
      await appendAudits(tx, mine.map((c) => c.audit));
      return new Map(rows.map((w) => [w.id, w]));
    });
    for (const c of batch) c.resolve(stored.get(c.workload.id) ?? null);
  }
}

const batchers = new WeakMap<Db, CreateBatcher>();
function createBatcher(db: Db): CreateBatcher {
  let b = batchers.get(db);
  if (!b) batchers.set(db, b = new CreateBatcher(db));
  return b;
}

/** The workload service over the app's storage and scheduler. */
export function workloadService(deps: Deps) {
  const { db } = deps;
  const actor = (p: Principal) => ({ actorId: p.userId, actor: p.email });

  /** The workload if the principal may see it; 404 otherwise (no existence leak). */
  async function visible(p: Principal, id: string): Promise<store.Workload> {
    const w = await store.getWorkload(db, id);
    if (!w || (p.role !== "admin" && w.ownerId !== p.userId)) {
      throw new NotFoundError(`No workload ${id}: list yours with GET /api/v1/workloads`);
    }
    return w;
  }

  async function view(w: store.Workload): Promise<WorkloadView> {
    return { workload: w, allocations: await store.listAllocations(db, [w.id]) };
  }

  /** Tell live views, then the scheduler (the change is stored by now). */
  async function enqueue(id: string): Promise<void> {
    deps.workloadChanges.emit({ kind: "workload", workloadId: id });
    await deps.scheduler.enqueue([id]);
  }

  async function audit(
    tx: Queryable,
    p: Principal,
    action: string,
    w: { id: string; name: string },
    meta: RequestMeta,
    details: Record<string, unknown> = {},
  ) {
    await auditWithMeta(tx, {
      ...actor(p),
      action,
      outcome: "success",
      targetType: "workload",
      targetId: w.id,
      details: { name: w.name, ...details },
    }, meta);
  }

  return {
    /**
     * Create a workload. With an idempotency key the same key and body answer the same
     * workload (even concurrently); the same key with another body is a 409.
     */
    async create(
      p: Principal,
      spec: WorkloadSpec,
      meta: RequestMeta,
      idempotencyKey: string | null,
    ): Promise<{ status: 201; body: unknown; replayed: boolean }> {
      const hash = idempotencyKey ? await requestHash(spec) : "";
      const id = crypto.randomUUID();
      const expanded = expandTemplate(spec, { workloadId: id });
      const sealed = expanded.credentials
        ? await seal(deps.encryptionKey, JSON.stringify(expanded.credentials), `workload:${id}`)
        : null;
      const auditDetails = {
        template: spec.template,
        image: spec.image,
        replicas: spec.replicas,
      };
      if (!idempotencyKey) {
        // The common case goes through the group commit.
        const stored = await createBatcher(db).add({
          workload: {
            id,
            ownerId: p.userId,
            ownerEmail: p.email,
            name: spec.name,
            spec,
            credentialsSealed: sealed,
          },
          createdBy: p.email,
          audit: {
            ...actor(p),
            action: "workload.create",
            outcome: "success",
            targetType: "workload",
            targetId: id,
            ip: meta.ip,
            requestId: meta.requestId,
            details: { name: spec.name, ...auditDetails },
          },
        });
        if (!stored) throw nameTaken(spec.name);
        await enqueue(id);
        return {
          status: 201,
          body: { workload: workloadDto({ workload: stored, allocations: [] }) },
          replayed: false,
        };
      }
      let result: { body: unknown; replayed: boolean };
      try {
        result = await db.transaction(async (tx) => {
          if (idempotencyKey) {
            const claim = await store.claimIdempotencyKey(tx, p.userId, idempotencyKey, hash);
            if (claim.state !== "new") {
              if (claim.requestHash !== hash) {
                throw new HttpError(
                  409,
                  "idempotency_key_reused",
                  "This Idempotency-Key was used with a different request body; use a new key for a new request",
                  { idempotencyKey },
                );
              }
              if (claim.state === "done") return { body: claim.response, replayed: true };
              throw new HttpError(
                409,
                "idempotency_in_progress",
                "A request with this Idempotency-Key is still being processed; retry shortly",
              );
            }
          }
          await store.insertWorkload(tx, {
            id,
            ownerId: p.userId,
            name: spec.name,
            spec,
            credentialsSealed: sealed,
          });
          await store.appendWorkloadEvents(tx, [{
            workloadId: id,
            kind: "created",
            message: `created by ${p.email}`,
          }]);
          await audit(tx, p, "workload.create", { id, name: spec.name }, meta, auditDetails);
          const w = (await store.getWorkload(tx, id))!;
          const body = { workload: workloadDto({ workload: w, allocations: [] }) };
          if (idempotencyKey) {
            await store.completeIdempotencyKey(tx, p.userId, idempotencyKey, 201, body);
          }
          return { body, replayed: false };
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw nameTaken(spec.name);
        throw err;
      }
      if (!result.replayed) await enqueue(id);
      return { status: 201, ...result };
    },

    /** The principal's workloads (admins: everyone's). */
    async list(p: Principal, options: { status?: store.WorkloadStatus; limit: number }) {
      const list = await store.listWorkloads(db, {
        ownerId: p.role === "admin" ? null : p.userId,
        ...options,
      });
      const allocations = await store.listAllocations(db, list.map((w) => w.id));
      return list.map((w) => ({
        workload: w,
        allocations: allocations.filter((a) => a.workloadId === w.id),
      }));
    },

    async get(p: Principal, id: string): Promise<WorkloadView> {
      return await view(await visible(p, id));
    },

    /** Change image, env, resources or replicas: a new generation rolls out. */
    async patch(p: Principal, id: string, patch: WorkloadPatch, meta: RequestMeta) {
      const w = await visible(p, id);
      const next = applyWorkloadPatch(w.spec, patch);
      await db.transaction(async (tx) => {
        if (next.replicas !== w.spec.replicas && Object.keys(patch).length === 1) {
          // Scaling alone keeps the running containers: same generation, new spec.
          await tx.query(
            `UPDATE workloads SET spec = $2::text::jsonb, deploy_failures = 0, updated_at = now()
             WHERE id = $1`,
            [id, JSON.stringify(next)],
          );
        } else {
          await store.updateWorkloadSpec(tx, id, next);
        }
        await store.appendWorkloadEvents(tx, [{
          workloadId: id,
          kind: "changed",
          message: `changed by ${p.email}: ${Object.keys(patch).join(", ")}`,
        }]);
        await audit(tx, p, "workload.update", w, meta, { fields: Object.keys(patch) });
      });
      await enqueue(id);
      return await view((await store.getWorkload(db, id))!);
    },

    /** Start, stop or restart (a restart is a new generation: fresh containers). */
    async setRunning(
      p: Principal,
      id: string,
      action: "start" | "stop" | "restart",
      meta: RequestMeta,
    ) {
      const w = await visible(p, id);
      await db.transaction(async (tx) => {
        await store.setWorkloadDesired(tx, id, action === "stop" ? "stopped" : "running", {
          newGeneration: action === "restart",
        });
        await store.appendWorkloadEvents(tx, [{
          workloadId: id,
          kind: action,
          message: `${action} requested by ${p.email}`,
        }]);
        await audit(tx, p, `workload.${action}`, w, meta);
      });
      await enqueue(id);
      return await view((await store.getWorkload(db, id))!);
    },

    /** Delete: containers and volumes are removed from the nodes, then the record goes. */
    async remove(p: Principal, id: string, meta: RequestMeta): Promise<void> {
      const w = await visible(p, id);
      await db.transaction(async (tx) => {
        await store.setWorkloadDesired(tx, id, "deleted");
        await audit(tx, p, "workload.delete", w, meta);
      });
      deps.workloadChanges.emit({ kind: "deleted", workloadId: id });
      await deps.scheduler.enqueue([id]);
    },

    /** How to connect: host, published port and the credentials (audited). */
    async connection(p: Principal, id: string, meta: RequestMeta): Promise<ConnectionInfo> {
      const w = await visible(p, id);
      const allocations = await store.listAllocations(db, [id]);
      const expanded = expandTemplate(w.spec, {
        workloadId: id,
        credentials: await openCredentials(db, deps.encryptionKey, w),
      });
      const port = expanded.connection.containerPort;
      const live = allocations.find((a) =>
        a.state === "running" && a.desired !== "removed" &&
        a.ports.some((x) => port === null || x.container === port)
      );
      if (!live) {
        throw new HttpError(
          409,
          "not_running",
          `Workload "${w.name}" has no running replica with a published port yet (status ${w.status}); try again when it is running`,
        );
      }
      const published = live.ports.find((x) => port === null || x.container === port)!;
      const [node] = await db.query(`SELECT remote_addr FROM nodes WHERE id = $1`, [live.nodeId]);
      const host = nodeHost(published.hostIp, (node?.remote_addr as string | null) ?? null);
      await auditWithMeta(db, {
        ...actor(p),
        action: "workload.connection.read",
        outcome: "success",
        targetType: "workload",
        targetId: id,
        details: { name: w.name, owner: w.ownerId },
      }, meta);
      return connectionInfo(w.spec.template, expanded.credentials, {
        host,
        port: published.hostPort,
      });
    },

    /** A workload's history. */
    async events(p: Principal, id: string, options: { after: number; limit: number }) {
      await visible(p, id);
      return await store.listWorkloadEvents(db, id, options);
    },

    /** The allocation to read logs from: the one named, or the first running. */
    async logTarget(p: Principal, id: string, allocationId: string | undefined) {
      const w = await visible(p, id);
      const allocations = await store.listAllocations(db, [id]);
      const target = allocationId
        ? allocations.find((a) => a.id === allocationId)
        : allocations.find((a) => a.state === "running") ??
          allocations.find((a) => a.state !== "removed");
      if (!target) {
        throw new HttpError(
          allocationId ? 404 : 409,
          allocationId ? "not_found" : "not_running",
          allocationId
            ? `Workload "${w.name}" has no allocation ${allocationId}`
            : `Workload "${w.name}" has no container yet (status ${w.status})`,
        );
      }
      return target;
    },
  };
}

function nameTaken(name: string): ConflictError {
  return new ConflictError(
    `You already have a workload named "${name}"; pick another name or change that one`,
    { field: "name" },
  );
}

/** The workload's credentials, opened from their sealed form. */
async function openCredentials(
  _db: Db,
  key: CryptoKey,
  w: store.Workload,
): Promise<WorkloadCredentials | null> {
  if (!w.credentialsSealed) return null;
  const json = await open(key, w.credentialsSealed, `workload:${w.id}`);
  const parsed = WorkloadCredentials.safeParse(JSON.parse(json));
  if (!parsed.success) throw new ValidationError("Stored credentials are unreadable");
  return parsed.data;
}

/**
 * Where clients reach a published port: the node's address as the control plane saw it, or
 * the loopback when the agent runs beside the control plane.
 */
function nodeHost(hostIp: string, remoteAddr: string | null): string {
  if (hostIp !== "127.0.0.1" && hostIp !== "0.0.0.0" && hostIp !== "") return hostIp;
  if (!remoteAddr || remoteAddr === "::1" || remoteAddr.startsWith("::ffff:127.")) {
    return "127.0.0.1";
  }
  return remoteAddr;
}

/** The API shape of a workload (credentials never included). */
export function workloadDto(v: WorkloadView) {
  const w = v.workload;
  return {
    id: w.id,
    name: w.name,
    owner: { id: w.ownerId, email: w.ownerEmail },
    spec: w.spec,
    generation: w.generation,
    desired: w.desired,
    status: w.status,
    statusReason: w.statusReason,
    unplaced: w.unplaced,
    deployFailures: w.deployFailures,
    allocations: v.allocations.map((a) => ({
      id: a.id,
      nodeId: a.nodeId,
      nodeName: a.nodeName,
      slot: a.slot,
      generation: a.generation,
      desired: a.desired,
      state: a.state,
      reason: a.reason,
      containerState: a.containerState,
      ports: a.ports,
      createdAt: a.createdAt.toISOString(),
      updatedAt: a.updatedAt.toISOString(),
    })),
    createdAt: w.createdAt.toISOString(),
    updatedAt: w.updatedAt.toISOString(),
  };
}
