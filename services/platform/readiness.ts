// Readiness follows the database: every service of the server reports
// NOT_SERVING while the database does not answer, and SERVING again when it does.
import { ServingStatus, type HealthRegistry } from "./health.js";
import type { Logger } from "./logger.js";

export interface ReadinessOptions {
  readonly health: HealthRegistry;
  readonly logger: Logger;
  /** Resolves when the dependency answers. */
  readonly ping: () => Promise<void>;
  /** Default 1000 ms. */
  readonly intervalMs?: number;
  /** A ping slower than this counts as a failure. Default 1000 ms. */
  readonly timeoutMs?: number;
}

/** Starts watching; returns a function that stops the watch. Checks once before resolving. */
export async function watchReadiness(options: ReadinessOptions): Promise<() => void> {
  const { health, logger } = options;
  const timeoutMs = options.timeoutMs ?? 1_000;
  let ready: boolean | undefined;
  let stopped = false;

  const check = async () => {
    let ok = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        options.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (err) {
      ok = false;
      if (ready !== false) logger.warn({ err }, "database unreachable: NOT_SERVING");
    } finally {
      clearTimeout(timer);
    }
    if (stopped) return;
    if (ok && ready !== true) logger.info("database reachable: SERVING");
    ready = ok;
    health.setAll(ok ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  };

  // A chain of timeouts, not an interval: a slow check never overlaps the next.
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    timer = setTimeout(() => void check().then(() => stopped || schedule()), options.intervalMs ?? 1_000);
    timer.unref();
  };
  await check();
  schedule();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
