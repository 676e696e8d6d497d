// The orchestrator's handle on the agent-simulation Workers (bench/agents_sim_worker.ts).

/**
 * A share of the simulated agents: a Worker in this process, or (`process`) a child process
 * running one, so that each process holds fewer sockets (and open files).
 */
export class SimWorker {
  #post: (message: unknown) => void;
  #stop: () => void;
  #next = 1;
  #calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** How many agents this worker has joined. */
  size = 0;
  /** The process that holds this share's sockets. */
  readonly pid: number;

  constructor(mode: "worker" | "process" = "worker") {
    const answer = (data: { id: number; ok: boolean; value?: unknown; error?: string }) => {
      const call = this.#calls.get(data.id);
      this.#calls.delete(data.id);
      if (data.ok) call?.resolve(data.value);
      else call?.reject(new Error(data.error));
    };
    const fail = (message: string) => {
      for (const c of this.#calls.values()) c.reject(new Error(message));
      this.#calls.clear();
    };
    if (mode === "worker") {
      const worker = new Worker(new URL("./agents_sim_worker.ts", import.meta.url), {
        type: "module",
      });
      worker.onmessage = (e) => answer(e.data);
      worker.onerror = (e) => {
        e.preventDefault();
        fail(`worker failed: ${e.message}`);
      };
      this.#post = (m) => worker.postMessage(m);
      this.#stop = () => worker.terminate();
      this.pid = Deno.pid;
      return;
    }
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("./sim_process.ts", import.meta.url).pathname],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.pid = child.pid;
    const writer = child.stdin.getWriter();
    const encoder = new TextEncoder();
    let writing = Promise.resolve();
    this.#post = (m) => {
      const line = encoder.encode(JSON.stringify(m) + "\n");
      writing = writing.then(() => writer.write(line));
    };
    this.#stop = () => {
      void writing.then(() => writer.close()).catch(() => {});
      setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // already gone
        }
      }, 2000);
    };
    void (async () => {
      let buffered = "";
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        buffered += chunk;
        let newline: number;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          answer(JSON.parse(buffered.slice(0, newline)));
          buffered = buffered.slice(newline + 1);
        }
      }
      fail("the simulation process exited");
    })();
  }

  /** Run one operation in the worker. */
  call<T>(op: string, args: unknown = {}): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#calls.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#post({ id, op, args });
    });
  }

  /** Stop the worker and its sockets. */
  terminate(): void {
    this.#stop();
  }
}

/** Counters a worker reports (latencies since its previous report). */
export interface SimStats {
  sent: number;
  acks: number;
  welcomes: number;
  pending: number;
  rejected: number;
  errors: number;
  retries: number;
  unexpectedCloses: number;
  idle: number;
  connecting: number;
  active: number;
  silent: number;
  stopped: number;
  closeCodes: Record<string, number>;
  latencies: number[];
}

/** Sum the workers' reports; latencies are concatenated. */
export async function poolStats(workers: SimWorker[]): Promise<SimStats> {
  const all = await Promise.all(workers.map((w) => w.call<SimStats>("stats")));
  const sum = { ...all[0], closeCodes: { ...all[0].closeCodes }, latencies: [...all[0].latencies] };
  for (const s of all.slice(1)) {
    for (const key of Object.keys(s) as (keyof SimStats)[]) {
      if (typeof s[key] === "number") (sum[key] as number) += s[key] as number;
    }
    for (const [code, n] of Object.entries(s.closeCodes)) {
      sum.closeCodes[code] = (sum.closeCodes[code] ?? 0) + n;
    }
    for (const l of s.latencies) sum.latencies.push(l);
  }
  return sum;
}
