// WatchBeerEvents against a real server on loopback: live events made by
// another client, resuming from a cursor, many watchers, concurrent writers,
// bad cursors, and the stream ending with the server.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { type BeerEvent, BeerEventType, BeerService } from "../../gen/mesh/beer/v1/beer_pb.js";
import type { ServiceHost } from "../platform/service-host.js";
import { grpcClient, silentLogger, stopAndDrop, testConfig } from "../testing/harness.js";
import { SEED_BEERS } from "./seed.js";
import type { BeerDatabase } from "./schema.js";
import { startBeerService } from "./server.js";

let host: ServiceHost<BeerDatabase>;
let writer: Client<typeof BeerService>;

async function startBeer(env: Record<string, string> = {}): Promise<ServiceHost<BeerDatabase>> {
  return startBeerService({ ...testConfig("beer", { SEED: "true", ...env }), eventPollIntervalMs: 1_000 }, silentLogger());
}

/** A watch on its own connection, collecting events until stopped. */
function watch(port: number, afterCursor = "") {
  const abort = new AbortController();
  const events: BeerEvent[] = [];
  const done = (async () => {
    try {
      for await (const res of grpcClient(BeerService, port).watchBeerEvents({ afterCursor }, { signal: abort.signal })) {
        events.push(res.event!);
      }
      return "ended" as const;
    } catch (err) {
      if (abort.signal.aborted) return "cancelled" as const;
      throw err;
    }
  })();
  return { events, done, cancel: () => abort.abort() };
}

async function until(condition: () => boolean, what: string, withinMs = 10_000): Promise<void> {
  const deadline = performance.now() + withinMs;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const summary = (e: BeerEvent) => [BeerEventType[e.type], e.beer?.name, e.previousName];

before(async () => {
  host = await startBeer();
  writer = grpcClient(BeerService, host.port);
});

after(() => stopAndDrop(host));

describe("WatchBeerEvents", () => {
  test("streams the past, then add, rename and remove by another client, in order", async () => {
    const watcher = watch(host.port);
    await until(() => watcher.events.length === SEED_BEERS.length, "the seed events");
    assert.deepEqual(watcher.events.map((e) => e.beer?.id), SEED_BEERS.map((b) => b.id));

    const { beer } = await writer.addBeer({ name: "Watched Ale", style: "Ale", abv: 5 });
    await writer.renameBeer({ id: beer!.id, name: "Watched Stout" });
    await writer.removeBeer({ id: beer!.id });
    await until(() => watcher.events.length === SEED_BEERS.length + 3, "three live events");
    watcher.cancel();
    assert.equal(await watcher.done, "cancelled");

    const live = watcher.events.slice(SEED_BEERS.length);
    assert.deepEqual(live.map(summary), [
      ["ADDED", "Watched Ale", ""],
      ["RENAMED", "Watched Stout", "Watched Ale"],
      ["REMOVED", "Watched Stout", ""],
    ]);
    assert.ok(live.every((e) => e.beer?.id === beer!.id && e.beer.abv === 5 && e.eventTime !== undefined));
    const cursors = watcher.events.map((e) => BigInt(e.cursor));
    assert.ok(cursors.every((c, i) => i === 0 || c > cursors[i - 1]!), "cursors increase");
  });

  test("resumes after a cursor without missing or repeating an event", async () => {
    const first = watch(host.port);
    await until(() => first.events.length > 0, "events");
    const a = (await writer.addBeer({ name: "Resume One" })).beer!;
    await until(() => first.events.some((e) => e.beer?.id === a.id), "the first add");
    first.cancel();
    await first.done;
    const cursor = first.events.at(-1)!.cursor;

    // Changes while nobody watches.
    const b = (await writer.addBeer({ name: "Resume Two" })).beer!;
    await writer.renameBeer({ id: a.id, name: "Resume One Renamed" });

    const second = watch(host.port, cursor);
    await until(() => second.events.length === 2, "the missed events");
    await writer.removeBeer({ id: b.id });
    await until(() => second.events.length === 3, "a live event after resuming");
    await sleep(100); // room for a wrong extra event to show up
    second.cancel();
    await second.done;
    assert.deepEqual(second.events.map(summary), [
      ["ADDED", "Resume Two", ""],
      ["RENAMED", "Resume One Renamed", "Resume One"],
      ["REMOVED", "Resume Two", ""],
    ]);

    // Together the two sessions saw exactly the whole feed, once.
    const whole = watch(host.port);
    await until(() => whole.events.at(-1)?.cursor === second.events.at(-1)!.cursor, "the whole feed");
    whole.cancel();
    await whole.done;
    assert.deepEqual([...first.events, ...second.events].map((e) => e.cursor), whole.events.map((e) => e.cursor));
  });

  test("many watchers see the same events as concurrent writers commit them", async () => {
    const start = (await writer.listBeers({ pageSize: 1 })).totalSize;
    assert.ok(start > 0);
    const watchers = Array.from({ length: 10 }, () => watch(host.port));
    await until(() => watchers.every((w) => w.events.length > 0), "every watcher to catch up");
    const added = await Promise.all(Array.from({ length: 20 }, (_, i) => writer.addBeer({ name: `Rush ${i}` })));
    const ids = new Set(added.map((r) => r.beer!.id));
    const seen = (w: ReturnType<typeof watch>) => w.events.filter((e) => ids.has(e.beer!.id));
    await until(() => watchers.every((w) => seen(w).length === 20), "20 events at every watcher");
    await sleep(100);
    for (const w of watchers) w.cancel();
    await Promise.all(watchers.map((w) => w.done));
    const reference = watchers[0]!.events.map((e) => e.cursor);
    assert.equal(new Set(reference).size, reference.length, "no event twice");
    for (const w of watchers) assert.deepEqual(w.events.map((e) => e.cursor), reference);
    assert.deepEqual(new Set(seen(watchers[0]!).map((e) => e.beer!.id)), ids);
  });

  test("a malformed or unknown cursor is INVALID_ARGUMENT on after_cursor", async () => {
    for (const cursor of ["abc", "-1", "01", "1.5", "99999999999999999999", "999999"]) {
      const err = await (async () => {
        for await (const _ of writer.watchBeerEvents({ afterCursor: cursor })) assert.fail(`an event for cursor ${cursor}`);
      })().then(
        () => assert.fail(`cursor ${cursor} accepted`),
        (e: unknown) => ConnectError.from(e),
      );
      assert.equal(err.code, Code.InvalidArgument, cursor);
      assert.deepEqual(err.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field)), ["after_cursor"]);
    }
  });
});

describe("shutdown", () => {
  test("ends every watch stream cleanly when the server stops", async () => {
    // A grace period far longer than a clean stop: streams holding the server open would show.
    const own = await startBeer({ SHUTDOWN_GRACE_MS: "20000" });
    try {
      const watchers = Array.from({ length: 3 }, () => watch(own.port));
      await until(() => watchers.every((w) => w.events.length === SEED_BEERS.length), "the seed events");
      const started = performance.now();
      await own.stop();
      for (const w of watchers) assert.equal(await w.done, "ended");
      assert.ok(performance.now() - started < 10_000, "the streams did not hold the server open until the grace period");
    } finally {
      await stopAndDrop(own);
    }
  });
});
