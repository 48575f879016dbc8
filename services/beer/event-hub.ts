// One wake-up source for every WatchBeerEvents stream of a process: a single
// LISTEN connection plus a poll. The hub only learns the latest committed
// sequence number; each watcher then reads the events it has not sent from
// the table itself, so a lost or coalesced notification can delay an event
// but never lose or duplicate one.
import type { Kysely } from "kysely";
import type { Database } from "../platform/database.js";
import type { Logger } from "../platform/logger.js";
import { BEER_EVENTS_CHANNEL, latestEventSeq } from "./events.js";
import type { BeerDatabase } from "./schema.js";

export interface EventHubOptions {
  readonly db: Kysely<BeerDatabase>;
  /** Database.listen of the service's database; on PGlite and PostgreSQL alike. */
  readonly listen: Database<BeerDatabase>["listen"];
  readonly logger: Logger;
  /**
   * How often to look for new events while anyone watches, notification or
   * not: the safety net for a lost notification and the only source while the
   * listener is down. Default 1000 ms.
   */
  readonly pollIntervalMs?: number;
  /** How long to wait before listening again after the listener failed. Default 5000 ms. */
  readonly relistenDelayMs?: number;
}

export interface EventHub {
  /**
   * Resolves true once an event after `seq` has committed, or false when
   * `signal` aborts or the hub closes (the watcher should then end).
   */
  waitForEventAfter(seq: bigint, signal: AbortSignal): Promise<boolean>;
  /** Number of watchers waiting now (for tests and metrics). */
  readonly waiting: number;
  close(): Promise<void>;
}

interface Waiter {
  readonly after: bigint;
  settle(woken: boolean): void;
}

export function createEventHub(options: EventHubOptions): EventHub {
  const { db, logger } = options;
  const waiters = new Set<Waiter>();
  let latest = 0n;
  let closed = false;
  let refreshing: Promise<void> | undefined;
  let refreshAgain = false;
  let unlisten: (() => Promise<void>) | undefined;
  let listening: Promise<void> | undefined;
  let relistenTimer: NodeJS.Timeout | undefined;

  function wake(): void {
    for (const waiter of waiters) if (latest > waiter.after) waiter.settle(true);
  }

  // One query at a time, however many notifications arrive: a notification
  // during a query makes exactly one more query after it.
  function refresh(): void {
    if (closed) return;
    if (refreshing !== undefined) {
      refreshAgain = true;
      return;
    }
    refreshing = (async () => {
      do {
        refreshAgain = false;
        try {
          const seq = await latestEventSeq(db);
          if (seq > latest) latest = seq;
          wake();
        } catch (err) {
          logger.warn({ err }, "could not read the latest beer event; retrying at the next poll");
        }
      } while (refreshAgain && !closed);
    })().finally(() => (refreshing = undefined));
  }

  function listen(): void {
    relistenTimer = undefined;
    let failed = false;
    const onError = (err: Error) => {
      if (failed || closed) return; // a failing connection may report more than once
      failed = true;
      logger.warn({ err }, "beer event listener failed: polling until it is back");
      const stop = unlisten;
      unlisten = undefined;
      void stop?.();
      relistenTimer = setTimeout(listen, options.relistenDelayMs ?? 5_000);
      relistenTimer.unref();
    };
    listening = options.listen(BEER_EVENTS_CHANNEL, refresh, onError).then(
      async (stop) => {
        if (closed || failed) return stop();
        unlisten = stop;
        // Events may have committed while nobody listened.
        refresh();
      },
      onError,
    );
  }

  const poll = setInterval(() => waiters.size > 0 && refresh(), options.pollIntervalMs ?? 1_000);
  poll.unref();
  listen();
  refresh();

  return {
    waitForEventAfter(seq, signal) {
      if (closed || signal.aborted) return Promise.resolve(false);
      if (latest > seq) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const onAbort = () => waiter.settle(false);
        const waiter: Waiter = {
          after: seq,
          settle(woken) {
            waiters.delete(waiter);
            signal.removeEventListener("abort", onAbort);
            resolve(woken);
          },
        };
        signal.addEventListener("abort", onAbort, { once: true });
        waiters.add(waiter);
      });
    },
    get waiting() {
      return waiters.size;
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(poll);
      clearTimeout(relistenTimer);
      for (const waiter of waiters) waiter.settle(false);
      await listening;
      await refreshing;
      await unlisten?.();
    },
  };
}
