// Tests of the change feed's two guarantees below the RPC layer: events become
// visible in sequence order (events.ts), and the hub wakes every waiter from
// one listener, with or without LISTEN (event-hub.ts).
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { openTestDatabase, type TestDatabase } from "../testing/database.js";
import { silentLogger } from "../testing/harness.js";
import { newId } from "../platform/ids.js";
import type { Database } from "../platform/database.js";
import { createEventHub } from "./event-hub.js";
import { appendEvent, latestEventSeq, readEventsAfter } from "./events.js";
import { migrations } from "./migrations/index.js";
import * as repo from "./repository.js";
import type { BeerDatabase } from "./schema.js";

let database: TestDatabase<BeerDatabase>;
let counter = 0;

before(async () => {
  database = await openTestDatabase<BeerDatabase>("beer", migrations);
});

after(() => database.dispose());

async function addSomeBeer() {
  const result = await repo.addBeer(database.db, { id: newId(), name: `Feed Beer ${++counter}`, style: "", abv: null }, null);
  assert.ok(result.ok);
  return result.row;
}

/** Resolves when `promise` settles, or after `ms` with "pending". */
function within<T>(promise: Promise<T>, ms: number): Promise<T | "pending"> {
  return Promise.race([promise, sleep(ms, "pending" as const)]);
}

describe("event order", () => {
  test("a writer whose event would follow an uncommitted one waits for its commit", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let firstSeq: bigint | undefined;
    // The first writer appends its event and holds its transaction open.
    const first = database.db.transaction().execute(async (trx) => {
      const row = await trx.insertInto("beers").values({ id: newId(), name: "Slow Writer", style: "", abv: null }).returningAll().executeTakeFirstOrThrow();
      firstSeq = BigInt((await appendEvent(trx, { type: "added", beer: row })).seq);
      await gate;
    });
    while (firstSeq === undefined) await sleep(5);
    // The second would take the next sequence number and, unchecked, commit first.
    const second = addSomeBeer();
    try {
      assert.equal(await within(second, 300), "pending", "the second writer committed before the first");
    } finally {
      release();
      await first;
      await second;
    }
    const events = await readEventsAfter(database.db, firstSeq - 1n, 10);
    assert.deepEqual(events.map((e) => e.name), ["Slow Writer", `Feed Beer ${counter}`]);
  });

  test("concurrent writers leave a gap-free, ordered feed", async () => {
    const start = await latestEventSeq(database.db);
    const rows = await Promise.all(Array.from({ length: 20 }, () => addSomeBeer()));
    const events = await readEventsAfter(database.db, start, 100);
    assert.equal(events.length, 20);
    assert.deepEqual(new Set(events.map((e) => e.beer_id)), new Set(rows.map((r) => r.id)));
    const seqs = events.map((e) => BigInt(e.seq));
    assert.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!));
  });
});

describe("event hub", () => {
  test("one listener wakes every waiter, promptly, by notification", async () => {
    let listens = 0;
    let listening = false;
    const hub = createEventHub({
      db: database.db,
      listen: async (...args) => {
        listens++;
        const stop = await database.listen(...args);
        listening = true;
        return stop;
      },
      logger: silentLogger(),
      pollIntervalMs: 60_000, // so that only a notification can wake them in time
    });
    try {
      while (!listening) await sleep(5);
      const seq = await latestEventSeq(database.db);
      const signal = new AbortController().signal;
      const waits = Array.from({ length: 50 }, () => hub.waitForEventAfter(seq, signal));
      assert.equal(hub.waiting, 50);
      await addSomeBeer();
      assert.deepEqual(await within(Promise.all(waits), 2_000), Array(50).fill(true));
      assert.equal(listens, 1);
      assert.equal(hub.waiting, 0);
    } finally {
      await hub.close();
    }
  });

  test("without LISTEN, polling wakes waiters, and the hub keeps trying to listen", async () => {
    let attempts = 0;
    const failingListen: Database<BeerDatabase>["listen"] = async () => {
      attempts++;
      throw new Error("LISTEN is not available");
    };
    const hub = createEventHub({ db: database.db, listen: failingListen, logger: silentLogger(), pollIntervalMs: 50, relistenDelayMs: 100 });
    try {
      const seq = await latestEventSeq(database.db);
      const woken = hub.waitForEventAfter(seq, new AbortController().signal);
      await addSomeBeer();
      assert.equal(await within(woken, 2_000), true);
      await sleep(350);
      assert.ok(attempts >= 3, `listened ${attempts} times`);
    } finally {
      await hub.close();
    }
  });

  test("a listener that fails later falls back to polling", async () => {
    let fail: ((err: Error) => void) | undefined;
    const hub = createEventHub({
      db: database.db,
      listen: async (_channel, _onNotify, onError) => {
        fail = onError;
        return async () => undefined; // never notifies
      },
      logger: silentLogger(),
      pollIntervalMs: 50,
      relistenDelayMs: 60_000,
    });
    try {
      while (fail === undefined) await sleep(5);
      fail(new Error("connection lost"));
      const seq = await latestEventSeq(database.db);
      const woken = hub.waitForEventAfter(seq, new AbortController().signal);
      await addSomeBeer();
      assert.equal(await within(woken, 2_000), true);
    } finally {
      await hub.close();
    }
  });

  test("waits end with false on abort and on close", async () => {
    const hub = createEventHub({ db: database.db, listen: database.listen, logger: silentLogger() });
    const seq = await latestEventSeq(database.db);
    const abort = new AbortController();
    const aborted = hub.waitForEventAfter(seq, abort.signal);
    const closed = hub.waitForEventAfter(seq, new AbortController().signal);
    abort.abort();
    assert.equal(await aborted, false);
    await hub.close();
    assert.equal(await closed, false);
    assert.equal(await hub.waitForEventAfter(seq, new AbortController().signal), false);
  });
});
