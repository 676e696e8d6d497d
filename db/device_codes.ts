import type { Queryable, Row } from "./db.ts";

/** Where a device code stands; "consumed" means its join token has been handed out. */
export type DeviceCodeStatus = "pending" | "approved" | "denied" | "consumed";

/** A device code as stored; the device code itself is never stored, only its SHA-256. */
export interface DeviceCode {
  id: string;
  userCode: string;
  status: DeviceCodeStatus;
  poolId: string | null;
  approvedBy: string | null;
  ip: string | null;
  userAgent: string | null;
  createdAt: Date;
  expiresAt: Date;
  lastPolledAt: Date | null;
}

const COLUMNS = `id, user_code, status, pool_id, approved_by, ip, user_agent, created_at,
  expires_at, last_polled_at`;

function toDeviceCode(row: Row): DeviceCode {
  return {
    id: row.id as string,
    userCode: row.user_code as string,
    status: row.status as DeviceCodeStatus,
    poolId: (row.pool_id as string | null) ?? null,
    approvedBy: (row.approved_by as string | null) ?? null,
    ip: (row.ip as string | null) ?? null,
    userAgent: (row.user_agent as string | null) ?? null,
    createdAt: row.created_at as Date,
    expiresAt: row.expires_at as Date,
    lastPolledAt: (row.last_polled_at as Date | null) ?? null,
  };
}

/**
 * Delete codes that expired more than `graceSeconds` ago: an agent polling one gets
 * `expired_token` for that long, then the code is gone (its approval stays in the audit log).
 */
export async function pruneExpiredDeviceCodes(db: Queryable, graceSeconds = 3600): Promise<number> {
  const rows = await db.query(
    `DELETE FROM device_codes WHERE expires_at < now() - make_interval(secs => $1::int)
     RETURNING id`,
    [graceSeconds],
  );
  return rows.length;
}

/** Store a new pending device code; null when the user code is taken (try another). */
export async function createDeviceCode(
  db: Queryable,
  input: {
    deviceCodeHash: string;
    userCode: string;
    ip: string | null;
    userAgent: string | null;
    expiresAt: Date;
  },
): Promise<DeviceCode | null> {
  const rows = await db.query(
    `INSERT INTO device_codes (id, device_code_hash, user_code, ip, user_agent, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_code) DO NOTHING
     RETURNING ${COLUMNS}`,
    [
      crypto.randomUUID(),
      input.deviceCodeHash,
      input.userCode,
      input.ip,
      input.userAgent,
      input.expiresAt,
    ],
  );
  return rows.length === 0 ? null : toDeviceCode(rows[0]);
}

/**
 * The device code with this hash, recording the poll time. Returns the
 * row as it was before this poll (so `lastPolledAt` is the previous poll), or null.
 */
export async function pollDeviceCode(
  db: Queryable,
  deviceCodeHash: string,
  now: Date,
): Promise<DeviceCode | null> {
  const rows = await db.query(
    `UPDATE device_codes d SET last_polled_at = $2
     FROM (SELECT id, last_polled_at FROM device_codes WHERE device_code_hash = $1 FOR UPDATE) o
     WHERE d.id = o.id
     RETURNING d.id, d.user_code, d.status, d.pool_id, d.approved_by, d.ip, d.user_agent,
       d.created_at, d.expires_at, o.last_polled_at`,
    [deviceCodeHash, now],
  );
  return rows.length === 0 ? null : toDeviceCode(rows[0]);
}

/** Mark an approved code consumed; false when it was not approved any more (a racing poll). */
export async function consumeDeviceCode(db: Queryable, id: string): Promise<boolean> {
  const rows = await db.query(
    `UPDATE device_codes SET status = 'consumed' WHERE id = $1 AND status = 'approved'
     RETURNING id`,
    [id],
  );
  return rows.length === 1;
}

/** The device code with this (normalised) user code, or null. */
export async function getDeviceCodeByUserCode(
  db: Queryable,
  userCode: string,
): Promise<DeviceCode | null> {
  const rows = await db.query(`SELECT ${COLUMNS} FROM device_codes WHERE user_code = $1`, [
    userCode,
  ]);
  return rows.length === 0 ? null : toDeviceCode(rows[0]);
}

/**
 * Decide a pending, unexpired code. Returns the updated code, or null when it is not pending
 * or has expired at `now`.
 */
export async function decideDeviceCode(
  db: Queryable,
  id: string,
  decision: { status: "approved"; poolId: string; approvedBy: string } | { status: "denied" },
  now: Date,
): Promise<DeviceCode | null> {
  const rows = await db.query(
    `UPDATE device_codes SET status = $2, pool_id = $3, approved_by = $4
     WHERE id = $1 AND status = 'pending' AND expires_at > $5
     RETURNING ${COLUMNS}`,
    [
      id,
      decision.status,
      decision.status === "approved" ? decision.poolId : null,
      decision.status === "approved" ? decision.approvedBy : null,
      now,
    ],
  );
  return rows.length === 0 ? null : toDeviceCode(rows[0]);
}
