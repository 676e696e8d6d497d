/**
 * The on-disk buffer of agent → server records (heartbeats and events, DESIGN §4). Every record
 * carries a sequence number and stays here until the server acks it, across disconnects and
 * agent restarts; on reconnect the agent resends `pending()` oldest first.
 *
 * On disk: `outbox.jsonl` (append-only, one record per line, compacted by rewrite once more than
 * half of it is acked) and `outbox.meta.json` (`{nextSeq, ackedSeq, dropped}`). Appends are
 * buffered in memory and written at most every ~200 ms with async file APIs, so a burst of events
 * costs one write, not one per record.
 */
import { z } from "zod";
import { EventMessage, Heartbeat } from "../lib/protocol.ts";

/** A record the server must ack: a heartbeat or an event message. */
export type OutboxRecord = Heartbeat | EventMessage;
/** Records dropped because the buffer was full, reported to the server once. */
export type DropReport = {
  count: number;
  fromSeq: number;
  toSeq: number;
};

/** Tuning and hooks for {@linkcode Outbox.open}. */
export interface OutboxOptions {
  /** Most records kept; past it the oldest are dropped. */
  maxRecords?: number;
  /** Most bytes of serialised records kept; past it the oldest are dropped. */
  maxBytes?: number;
  /** Longest a record waits in memory before it is written to the file. */
  flushIntervalMs?: number;
  /** How far ahead sequence numbers are reserved on disk (one metadata write per block). */
  seqBlock?: number;
  /** Where problems that do not stop the agent are reported (a corrupt line, a failed write). */
  warn?: (message: string) => void;
}

/** The files an outbox keeps in its dir (deleted with the node's state). */
export const OUTBOX_FILES = ["outbox.jsonl", "outbox.meta.json"] as const;

const StoredRecord = z.discriminatedUnion("type", [Heartbeat, EventMessage]);
const Meta = z.object({
  /** Every sequence number below this may have been handed out. */
  nextSeq: z.number().int().min(1),
  /** Everything up to here is gone from the buffer: acked by the server, or dropped for space. */
  ackedSeq: z.number().int().min(0),
  dropped: z.object({ count: z.number(), fromSeq: z.number(), toSeq: z.number() }).nullable(),
});
type Meta = z.infer<typeof Meta>;

interface Entry {
  record: OutboxRecord;
  line: string;
  bytes: number;
}

const encoder = new TextEncoder();

/** A bounded, persistent queue of unacked records in sequence order. */
export class Outbox {
  #entries: Entry[] = [];
  /** Index of the oldest live entry; trimming moves it instead of shifting the array. */
  #head = 0;
  #bytes = 0;
  #nextSeq = 1;
  #seqCeiling = 1;
  #ackedSeq = 0;
  #dropped: DropReport | null = null;
  /** Entries appended since the last write. */
  #unwritten: Entry[] = [];
  /** Lines in the file, acked or not; drives compaction. */
  #fileLines = 0;
  #metaDirty = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(
    readonly dir: string,
    private readonly limits: Required<OutboxOptions>,
  ) {}

  /** Open (or create) the outbox in `dir`, reloading whatever was not acked before. */
  static async open(dir: string, options: OutboxOptions = {}): Promise<Outbox> {
    const limits: Required<OutboxOptions> = {
      maxRecords: options.maxRecords ?? 10_000,
      maxBytes: options.maxBytes ?? 8 * 1024 * 1024,
      flushIntervalMs: options.flushIntervalMs ?? 200,
      seqBlock: options.seqBlock ?? 1000,
      warn: options.warn ?? ((message) => console.warn(message)),
    };
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const outbox = new Outbox(dir, limits);
    await outbox.#load();
    return outbox;
  }

  /** Number of records waiting for an ack. */
  get size(): number {
    return this.#entries.length - this.#head;
  }

  /** Allocate the next sequence number; never reused, even across restarts. */
  next(): number {
    if (this.#closed) throw new Error("Cannot allocate a sequence number: the outbox is closed");
    if (this.#nextSeq >= this.#seqCeiling) this.#reserveSeqs();
    return this.#nextSeq++;
  }

  /** Keep a record until it is acked; drops the oldest records when over the bounds. */
  append(record: OutboxRecord): void {
    if (this.#closed) throw new Error(`Cannot buffer record ${record.seq}: the outbox is closed`);
    if (record.seq <= this.#ackedSeq) {
      // Older than what is already gone: it would have been the first to be dropped.
      this.#noteDropped(record.seq, record.seq);
      return;
    }
    const entry = entryFor(record);
    if (!this.#insert(entry)) return;
    this.#unwritten.push(entry);
    this.#enforceBounds();
    this.#scheduleWrite();
  }

  /** The server stored everything up to `seq`: forget it. */
  ack(seq: number): void {
    if (seq <= this.#ackedSeq) return;
    this.#ackedSeq = seq;
    while (this.#head < this.#entries.length && this.#entries[this.#head].record.seq <= seq) {
      this.#bytes -= this.#entries[this.#head].bytes;
      this.#head++;
    }
    this.#compactArray();
    // The server has seen seq, so ours must move past it (this dir may have been reset).
    if (seq >= this.#nextSeq) this.#nextSeq = seq + 1;
    this.#metaDirty = true;
    this.#scheduleWrite();
  }

  /** The records to (re)send, oldest first. */
  pending(): readonly OutboxRecord[] {
    return this.#entries.slice(this.#head).map((entry) => entry.record);
  }

  /** The records dropped for space since the last call, or null; each drop is reported once. */
  takeDropReport(): DropReport | null {
    const report = this.#dropped;
    if (report) {
      this.#dropped = null;
      this.#metaDirty = true;
      this.#scheduleWrite();
    }
    return report;
  }

  /** Write buffered records and metadata now (also happens on a timer and on close). */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const run = this.#writing.then(() => this.#write());
    this.#writing = run.catch(() => {});
    return run;
  }

  /** Write everything still buffered and stop accepting records. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.flush();
  }

  // ---------------------------------------------------------------- internals

  get #dataPath(): string {
    return `${this.dir}/${OUTBOX_FILES[0]}`;
  }

  get #metaPath(): string {
    return `${this.dir}/${OUTBOX_FILES[1]}`;
  }

  async #load(): Promise<void> {
    const meta = await this.#readMeta();
    this.#ackedSeq = meta.ackedSeq;
    this.#dropped = meta.dropped;
    const text = await Deno.readTextFile(this.#dataPath).catch((error) => {
      if (error instanceof Deno.errors.NotFound) return "";
      throw error;
    });
    const lines = text.split("\n");
    // A crash mid-write leaves a last line without its newline; it must not glue onto the next.
    let needsRewrite = text.length > 0 && !text.endsWith("\n");
    const loaded: Entry[] = [];
    let maxSeq = 0;
    lines.forEach((line, i) => {
      if (line.trim() === "") return;
      const json = parseJson(line);
      const seq = (json as { seq?: unknown } | null)?.seq;
      // Records already acked are only counted; validating them would slow every start.
      if (Number.isSafeInteger(seq) && (seq as number) <= this.#ackedSeq) {
        this.#fileLines++;
        maxSeq = Math.max(maxSeq, seq as number);
        return;
      }
      // Validated, so that a damaged record cannot be resent (and refused) forever.
      const parsed = StoredRecord.safeParse(json);
      if (parsed.success) {
        this.#fileLines++;
        maxSeq = Math.max(maxSeq, parsed.data.seq);
        return loaded.push(entryFor(parsed.data, line));
      }
      needsRewrite = true;
      const where = i === lines.length - 1
        ? "the last line (cut short by a crash?)"
        : `line ${i + 1}`;
      this.limits.warn(`Skipping a corrupt record at ${where} of ${this.#dataPath}`);
    });
    loaded.sort((a, b) => a.record.seq - b.record.seq);
    for (const entry of loaded) this.#insert(entry);
    this.#enforceBounds();
    this.#nextSeq = Math.max(meta.nextSeq, maxSeq + 1, this.#ackedSeq + 1);
    // Reserve a block now, so the first next() after a restart does not wait on the disk.
    this.#reserveSeqs();
    if (needsRewrite) await this.#rewrite();
  }

  async #readMeta(): Promise<Meta> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.#metaPath);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return { nextSeq: 1, ackedSeq: 0, dropped: null };
      throw error;
    }
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // Reported below with the schema failure.
    }
    const parsed = Meta.safeParse(json);
    if (parsed.success) return parsed.data;
    // Written by rename, so this takes a damaged disk. Keep the agent running: the records still
    // give a floor for sequence numbers, and the server's ack at the next session restores the rest.
    this.limits.warn(`Ignoring corrupt outbox metadata "${this.#metaPath}"`);
    return { nextSeq: 1, ackedSeq: 0, dropped: null };
  }

  /** Put an entry in seq order; false when its seq is already there. */
  #insert(entry: Entry): boolean {
    const seq = entry.record.seq;
    const last = this.#entries[this.#entries.length - 1];
    if (this.size === 0 || seq > last.record.seq) {
      this.#entries.push(entry);
    } else {
      // Rare: seqs appended out of the order they were allocated in.
      let lo = this.#head, hi = this.#entries.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.#entries[mid].record.seq < seq) lo = mid + 1;
        else hi = mid;
      }
      if (this.#entries[lo]?.record.seq === seq) return false;
      this.#entries.splice(lo, 0, entry);
    }
    this.#bytes += entry.bytes;
    return true;
  }

  #enforceBounds(): void {
    let from = 0, to = 0, count = 0;
    while (
      this.size > 0 && (this.size > this.limits.maxRecords || this.#bytes > this.limits.maxBytes)
    ) {
      const oldest = this.#entries[this.#head++];
      this.#bytes -= oldest.bytes;
      if (count === 0) from = oldest.record.seq;
      to = oldest.record.seq;
      count++;
    }
    if (count === 0) return;
    this.#compactArray();
    this.#noteDropped(from, to, count);
  }

  #noteDropped(fromSeq: number, toSeq: number, count = 1): void {
    const previous = this.#dropped;
    this.#dropped = previous
      ? {
        count: previous.count + count,
        fromSeq: Math.min(previous.fromSeq, fromSeq),
        toSeq: Math.max(previous.toSeq, toSeq),
      }
      : { count, fromSeq, toSeq };
    this.#ackedSeq = Math.max(this.#ackedSeq, toSeq);
    this.#metaDirty = true;
  }

  #compactArray(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }

  #reserveSeqs(): void {
    this.#seqCeiling = this.#nextSeq + this.limits.seqBlock;
    // Synchronous on purpose: the seq is handed out right after, so the reservation must be on
    // disk first. It is one small write per block of sequence numbers.
    this.#writeMetaSync();
  }

  #scheduleWrite(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.flush().catch((error) => this.limits.warn(`Cannot write the outbox: ${error}`));
    }, this.limits.flushIntervalMs);
  }

  async #write(): Promise<void> {
    if (this.#fileLines + this.#unwritten.length > 2 * this.size + 16) {
      await this.#rewrite();
    } else if (this.#unwritten.length > 0) {
      // Records dropped or acked before they reached the disk need not reach it at all.
      const batch = this.#unwritten.filter((entry) => entry.record.seq > this.#ackedSeq);
      this.#unwritten = [];
      if (batch.length > 0) await this.#appendToFile(batch);
    }
    if (this.#metaDirty) this.#writeMetaSync();
  }

  async #appendToFile(batch: Entry[]): Promise<void> {
    try {
      const file = await Deno.open(this.#dataPath, { append: true, create: true, mode: 0o600 });
      try {
        const data = encoder.encode(batch.map((entry) => entry.line + "\n").join(""));
        // write() may take only part of a large buffer.
        for (let done = 0; done < data.length;) done += await file.write(data.subarray(done));
        await file.syncData();
      } finally {
        file.close();
      }
      this.#fileLines += batch.length;
    } catch (error) {
      this.#unwritten = batch.concat(this.#unwritten);
      throw error;
    }
  }

  /** Replace the file with the live records only (temp file, then rename). */
  async #rewrite(): Promise<void> {
    const live = this.#entries.slice(this.#head);
    const unwritten = this.#unwritten;
    this.#unwritten = [];
    const temp = `${this.#dataPath}.tmp`;
    try {
      const text = live.map((entry) => entry.line + "\n").join("");
      await Deno.writeTextFile(temp, text, { mode: 0o600 });
      await Deno.rename(temp, this.#dataPath);
      this.#fileLines = live.length;
    } catch (error) {
      this.#unwritten = unwritten.concat(this.#unwritten);
      throw error;
    }
  }

  #writeMetaSync(): void {
    const meta: Meta = {
      nextSeq: this.#seqCeiling,
      ackedSeq: this.#ackedSeq,
      dropped: this.#dropped,
    };
    const temp = `${this.#metaPath}.tmp`;
    Deno.writeTextFileSync(temp, JSON.stringify(meta) + "\n", { mode: 0o600 });
    Deno.renameSync(temp, this.#metaPath);
    this.#metaDirty = false;
  }
}

function entryFor(record: OutboxRecord, line = JSON.stringify(record)): Entry {
  return { record, line, bytes: encoder.encode(line).byteLength + 1 };
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}
