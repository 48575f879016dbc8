// Where production log lines go: a file descriptor (stdout by default),
// written in batches. Lines are kept as they come (an array of strings) and
// joined into one write once BUFFER_BYTES are waiting, every FLUSH_INTERVAL_MS,
// and at process exit. The write is synchronous, as Node's own process.stdout
// is for files and pipes on Linux: one write(2) per batch keeps lines in order,
// needs no state for a write in flight, and loses nothing at exit.
//
// pino's own pino.destination (sonic-boom) appends each line to a growing
// string and measures that string's byte length on every line; with a line
// per RPC that cost about 3 us per call against about 0.3 us here (measured
// with pino writing the RPC line to /dev/null, docs/benchmarks/README.md).
import { closeSync, openSync, writeSync } from "node:fs";

/** Lines are written once this many characters are waiting, or after FLUSH_INTERVAL_MS. */
const BUFFER_BYTES = 4096;
const FLUSH_INTERVAL_MS = 200;
/** A full non-blocking pipe (EAGAIN) is tried again after RETRY_MS, for at most GIVE_UP_MS per batch. */
const RETRY_MS = 5;
const GIVE_UP_MS = 2_000;

/**
 * Every destination not yet collected: one timer and one exit hook serve them
 * all, and hold them weakly, so a destination its logger dropped is not kept
 * alive (nor its file open) by either.
 */
const live = new Set<WeakRef<LogDestination>>();
let timer: NodeJS.Timeout | undefined;
const closeFile = new FinalizationRegistry<number>((fd) => closeSync(fd));

function flushAll(): void {
  for (const ref of live) {
    const destination = ref.deref();
    if (destination === undefined) live.delete(ref);
    else destination.flushSync();
  }
}

function track(destination: LogDestination): WeakRef<LogDestination> {
  const ref = new WeakRef(destination);
  live.add(ref);
  if (timer === undefined) {
    timer = setInterval(flushAll, FLUSH_INTERVAL_MS);
    timer.unref();
    process.on("exit", flushAll);
  }
  return ref;
}

export class LogDestination {
  readonly #fd: number;
  readonly #ownsFd: boolean;
  readonly #ref: WeakRef<LogDestination>;
  #parts: string[] = [];
  #waiting = 0;
  #ended = false;

  /** `dest`: a file descriptor, or a path to append to. */
  constructor(dest: string | number = 1) {
    this.#ownsFd = typeof dest === "string";
    this.#fd = typeof dest === "string" ? openSync(dest, "a") : dest;
    this.#ref = track(this);
    if (this.#ownsFd) closeFile.register(this, this.#fd, this);
  }

  /** pino calls this with each line (newline included). */
  write(line: string): boolean {
    if (this.#ended) return false;
    this.#parts.push(line);
    this.#waiting += line.length;
    if (this.#waiting >= BUFFER_BYTES) this.flushSync();
    return true;
  }

  /** pino's logger.flush(): writes what is waiting, then calls back. */
  flush(done?: (err?: Error) => void): void {
    let error: Error | undefined;
    try {
      this.flushSync();
    } catch (err) {
      error = err as Error;
    }
    if (done !== undefined) process.nextTick(done, error);
  }

  /**
   * Writes what is waiting. A stdout that was closed under the service
   * (EPIPE, EBADF), or a reader that stopped reading for GIVE_UP_MS, loses the
   * batch: there is nowhere left to say so, and the service must go on.
   */
  flushSync(): void {
    if (this.#waiting === 0) return;
    let buffer = Buffer.from(this.#parts.length === 1 ? (this.#parts[0] as string) : this.#parts.join(""));
    this.#parts = [];
    this.#waiting = 0;
    let giveUpAt: number | undefined;
    while (buffer.length > 0) {
      try {
        buffer = buffer.subarray(writeSync(this.#fd, buffer));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EAGAIN") return;
        giveUpAt ??= Date.now() + GIVE_UP_MS;
        if (Date.now() > giveUpAt) return;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, RETRY_MS);
      }
    }
  }

  /** Writes what is waiting and stops; the file of a path is closed. */
  end(): void {
    if (this.#ended) return;
    this.flushSync();
    this.#ended = true;
    live.delete(this.#ref);
    if (this.#ownsFd) {
      closeFile.unregister(this);
      closeSync(this.#fd);
    }
  }
}
