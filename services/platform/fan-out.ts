// Concurrent branches with partial results: a failed branch is reported as
// missing; the whole call fails only when the caller's own signal aborts.
import type { Logger } from "./logger.js";

export type Branches = Record<string, () => Promise<unknown>>;

/** Told the outcome of every branch of a fan-out that was not abandoned (e.g. to count it). */
export type FanOutObserver = (branch: string, outcome: "ok" | "failed") => void;

export interface FanOutResult<B extends Branches> {
  /** Values of the branches that succeeded. */
  readonly values: { [K in keyof B]?: Awaited<ReturnType<B[K]>> };
  /** Names of the branches that failed, in declaration order. */
  readonly missing: Array<keyof B & string>;
}

/**
 * Runs every branch concurrently. Resolves when all have settled; rejects with
 * the signal's reason as soon as `signal` aborts (deadline or cancellation of
 * the inbound call), since the caller no longer wants any answer.
 */
export async function fanOut<B extends Branches>(
  signal: AbortSignal,
  branches: B,
  logger: Logger,
  observe?: FanOutObserver,
): Promise<FanOutResult<B>> {
  signal.throwIfAborted();
  const names = Object.keys(branches) as Array<keyof B & string>;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    const settled = await Promise.race([Promise.allSettled(names.map((name) => (branches[name] as B[typeof name])())), aborted]);
    const values: FanOutResult<B>["values"] = {};
    const missing: Array<keyof B & string> = [];
    settled.forEach((result, i) => {
      const name = names[i] as keyof B & string;
      observe?.(name, result.status === "fulfilled" ? "ok" : "failed");
      if (result.status === "fulfilled") values[name] = result.value as Awaited<ReturnType<B[typeof name]>>;
      else {
        missing.push(name);
        logger.warn({ branch: name, err: result.reason }, "fan-out branch failed: answering without it");
      }
    });
    return { values, missing };
  } finally {
    if (onAbort !== undefined) signal.removeEventListener("abort", onAbort);
    aborted.catch(() => undefined);
  }
}
