/** Server-sent events read off a response body, with a deadline instead of sleeps. */
export class EventReader {
  #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  /** Every event read so far, in order. */
  readonly seen: { event: string; data: unknown }[] = [];

  constructor(res: Response) {
    this.#reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next event (comments skipped), or a thrown error after `timeoutMs`. */
  async next(timeoutMs = 5000): Promise<{ event: string; data: unknown }> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const end = this.#buffer.indexOf("\n\n");
      if (end >= 0) {
        const block = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        const lines = block.split("\n").filter((l) => !l.startsWith(":"));
        if (lines.length === 0) continue;
        const field = (name: string) =>
          lines.filter((l) => l.startsWith(`${name}: `) || l.startsWith(`${name}:`))
            .map((l) => l.slice(name.length + 1).replace(/^ /, ""));
        const e = {
          event: field("event")[0] ?? "message",
          data: JSON.parse(field("data").join("\n")),
        };
        this.seen.push(e);
        return e;
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no event within ${timeoutMs} ms`)),
          Math.max(0, deadline - Date.now()),
        );
      });
      try {
        const { value, done } = await Promise.race([this.#reader.read(), timeout]);
        if (done) throw new Error("the stream ended");
        this.#buffer += value;
      } finally {
        clearTimeout(timer);
      }
    }
  }

  /**
   * Events until one satisfies `match`; returns it. On timeout the error names `what` and the
   * last events that did arrive.
   */
  async until(
    match: (e: { event: string; data: unknown }) => boolean,
    timeoutMs = 5000,
    what = "a matching event",
  ) {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      let e: { event: string; data: unknown };
      try {
        e = await this.next(Math.max(1, deadline - Date.now()));
      } catch (err) {
        const last = this.seen.slice(-3).map((x) => `${x.event} ${JSON.stringify(x.data)}`);
        throw new Error(
          `${what}: ${err instanceof Error ? err.message : err}; last events:\n` +
            last.join("\n").slice(0, 3000),
        );
      }
      if (match(e)) return e;
    }
  }

  async close() {
    await this.#reader.cancel().catch(() => {});
  }
}
