// In-process RPC tests of BeerService's unary RPCs: real handlers and a real
// migrated database, so uniqueness, idempotency and the outbox are the database's.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError, createClient, createRouterTransport, type Client } from "@connectrpc/connect";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { BeerService } from "../../gen/mesh/beer/v1/beer_pb.js";
import { openTestDatabase, type TestDatabase } from "../testing/database.js";
import { silentLogger } from "../testing/harness.js";
import { createEventHub, type EventHub } from "./event-hub.js";
import { latestEventSeq, readEventsAfter } from "./events.js";
import { migrations } from "./migrations/index.js";
import type { BeerDatabase } from "./schema.js";
import { SEED_BEERS, seedBeers } from "./seed.js";
import { createBeerService } from "./service.js";

let database: TestDatabase<BeerDatabase>;
let hub: EventHub;
let client: Client<typeof BeerService>;
const UNKNOWN_ID = "01900000-0000-7000-8000-ffffffffffff";

/** Field paths of the BadRequest violations carried by an INVALID_ARGUMENT error. */
async function violations(call: Promise<unknown>): Promise<string[]> {
  const err = await call.then(
    () => assert.fail("expected INVALID_ARGUMENT"),
    (e: unknown) => ConnectError.from(e),
  );
  assert.equal(err.code, Code.InvalidArgument, err.message);
  return err.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field));
}

const code = (expected: Code) => (e: unknown) => ConnectError.from(e).code === expected;

/** Every beer and the feed's end: what "nothing written" compares. */
async function snapshot() {
  return { beers: (await client.listBeers({ pageSize: 1000 })).beers, seq: await latestEventSeq(database.db) };
}

before(async () => {
  database = await openTestDatabase<BeerDatabase>("beer", migrations);
  await seedBeers(database.db);
  await seedBeers(database.db); // idempotent
  hub = createEventHub({ db: database.db, listen: database.listen, logger: silentLogger() });
  const impl = createBeerService({ db: database.db, hub, stopping: new AbortController().signal });
  client = createClient(BeerService, createRouterTransport(({ service }) => service(BeerService, impl)));
});

after(async () => {
  await hub.close();
  await database.dispose();
});

describe("seed", () => {
  test("adds each beer once, with its fixed id and an added event", async () => {
    const { beers, totalSize } = await client.listBeers({});
    assert.equal(totalSize, SEED_BEERS.length);
    assert.deepEqual(beers.map((b) => b.id).sort(), SEED_BEERS.map((b) => b.id).sort());
    const events = await readEventsAfter(database.db, 0n, 100);
    assert.deepEqual(events.map((e) => [e.type, e.beer_id]), SEED_BEERS.map((b) => ["added", b.id]));
  });
});

describe("AddBeer, GetBeer, RenameBeer, RemoveBeer", () => {
  test("round trip, each change recorded as an event", async () => {
    const start = await latestEventSeq(database.db);
    const { beer } = await client.addBeer({ name: "  Flaming Moe  ", style: " Cocktail ", abv: 12.5 });
    assert.ok(beer);
    assert.deepEqual([beer.name, beer.style, beer.abv], ["Flaming Moe", "Cocktail", 12.5]);
    assert.match(beer.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    assert.deepEqual((await client.getBeer({ id: beer.id })).beer, beer);

    const renamed = await client.renameBeer({ id: beer.id, name: " Flaming Homer " });
    assert.equal(renamed.beer?.name, "Flaming Homer");
    assert.equal(renamed.beer?.abv, 12.5);

    const removed = await client.removeBeer({ id: beer.id });
    assert.equal(removed.beer?.name, "Flaming Homer", "the removed beer comes back with its name");
    assert.equal(removed.beer?.id, beer.id);
    await assert.rejects(client.getBeer({ id: beer.id }), code(Code.NotFound));
    await assert.rejects(client.removeBeer({ id: beer.id }), code(Code.NotFound));
    await assert.rejects(client.renameBeer({ id: beer.id, name: "Gone" }), code(Code.NotFound));

    const events = await readEventsAfter(database.db, start, 100);
    assert.deepEqual(
      events.map((e) => [e.type, e.beer_id, e.name, e.previous_name]),
      [
        ["added", beer.id, "Flaming Moe", ""],
        ["renamed", beer.id, "Flaming Homer", "Flaming Moe"],
        ["removed", beer.id, "Flaming Homer", ""],
      ],
    );
  });

  test("style and ABV are optional; a new beer never reuses a removed one's id", async () => {
    const first = (await client.addBeer({ name: "Plain" })).beer!;
    assert.deepEqual([first.style, first.abv], ["", undefined]);
    await client.removeBeer({ id: first.id });
    const second = (await client.addBeer({ name: "Plain", abv: 0 })).beer!;
    assert.notEqual(second.id, first.id);
    assert.equal(second.abv, 0);
    await client.removeBeer({ id: second.id });
  });

  test("a taken name, in any case, is ALREADY_EXISTS on add and on rename", async () => {
    await assert.rejects(client.addBeer({ name: " dUFF " }), code(Code.AlreadyExists));
    await assert.rejects(client.renameBeer({ id: SEED_BEERS[2].id, name: "DUFF DRY" }), code(Code.AlreadyExists));
    // Changing the case of its own name is not a conflict.
    assert.equal((await client.renameBeer({ id: SEED_BEERS[2].id, name: "FUDD" })).beer?.name, "FUDD");
    await client.renameBeer({ id: SEED_BEERS[2].id, name: "Fudd" });
  });

  test("renaming to the very same name changes nothing and records no event", async () => {
    const before = await snapshot();
    assert.equal((await client.renameBeer({ id: SEED_BEERS[0].id, name: "Duff" })).beer?.name, "Duff");
    assert.deepEqual(await snapshot(), before);
  });

  test("concurrent AddBeer calls with one name create exactly one beer", async () => {
    const start = await latestEventSeq(database.db);
    const names = ["Buzz Cola", "BUZZ COLA", "buzz cola", " Buzz Cola "];
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => client.addBeer({ name: names[i % 4]! })));
    const created = results.flatMap((r) => (r.status === "fulfilled" ? [r.value.beer!] : []));
    assert.equal(created.length, 1);
    for (const r of results) if (r.status === "rejected") assert.equal(ConnectError.from(r.reason).code, Code.AlreadyExists);
    assert.equal((await client.listBeers({ nameContains: "buzz" })).totalSize, 1);
    assert.deepEqual((await readEventsAfter(database.db, start, 100)).map((e) => [e.type, e.beer_id]), [["added", created[0]!.id]]);
    await client.removeBeer({ id: created[0]!.id });
  });

  test("a retry with the same request_id adds one beer, even after its removal; other content under it is rejected", async () => {
    const request = { name: "Idempotent IPA", style: "IPA", abv: 6.5, requestId: "add-beer-1" };
    const [a, b] = await Promise.all([client.addBeer(request), client.addBeer(request)]);
    assert.deepEqual(a.beer, b.beer);
    assert.equal((await client.listBeers({ nameContains: "Idempotent" })).totalSize, 1);
    await client.removeBeer({ id: a.beer!.id });
    const late = await client.addBeer(request);
    assert.deepEqual(late.beer, a.beer, "answers as the first call did");
    assert.equal((await client.listBeers({ nameContains: "Idempotent" })).totalSize, 0, "and does not add it again");
    assert.deepEqual(await violations(client.addBeer({ ...request, abv: 7 })), ["request_id"]);
  });
});

describe("ListBeers", () => {
  test("defaults to creation order, ties by id", async () => {
    const { beers, nextPageToken } = await client.listBeers({});
    assert.deepEqual(beers.map((b) => b.name), ["Duff", "Duff Dry", "Fudd", "Red Tick", "Skittlebrau"]);
    assert.equal(nextPageToken, "");
  });

  test("orders by ABV with unknown ABVs first ascending and last descending, paging through ties", async () => {
    const extra = (await client.addBeer({ name: "Duff Twin", abv: 4.5 })).beer!;
    try {
      for (const [direction, expected] of [
        ["asc", ["Skittlebrau", "Duff Dry", "Duff|Duff Twin", "Duff|Duff Twin", "Fudd", "Red Tick"]],
        ["desc", ["Red Tick", "Fudd", "Duff|Duff Twin", "Duff|Duff Twin", "Duff Dry", "Skittlebrau"]],
      ] as const) {
        const seen: string[] = [];
        let pageToken = "";
        do {
          const res = await client.listBeers({ pageSize: 2, orderBy: `abv ${direction}`, pageToken });
          assert.equal(res.totalSize, 6);
          seen.push(...res.beers.map((b) => b.name));
          pageToken = res.nextPageToken;
        } while (pageToken !== "");
        assert.equal(new Set(seen).size, 6, `every beer once (${direction}): ${seen.join(", ")}`);
        seen.forEach((name, i) => assert.ok(expected[i]!.split("|").includes(name), `${direction} #${i}: ${name}`));
      }
    } finally {
      await client.removeBeer({ id: extra.id });
    }
  });

  test("orders by name and filters by name substring, case-insensitive, as data", async () => {
    const byName = await client.listBeers({ orderBy: "name desc", pageSize: 2 });
    assert.deepEqual(byName.beers.map((b) => b.name), ["Skittlebrau", "Red Tick"]);
    const duffs = await client.listBeers({ nameContains: "DUFF", orderBy: "name" });
    assert.deepEqual(duffs.beers.map((b) => b.name), ["Duff", "Duff Dry"]);
    assert.equal(duffs.totalSize, 2);
    assert.equal((await client.listBeers({ nameContains: "%" })).totalSize, 0);
  });

  test("rejects bad list parameters with field violations", async () => {
    assert.deepEqual(await violations(client.listBeers({ pageSize: -5 })), ["page_size"]);
    assert.deepEqual(await violations(client.listBeers({ pageSize: 1001 })), ["page_size"]);
    assert.deepEqual(await violations(client.listBeers({ orderBy: "style" })), ["order_by"]);
    assert.deepEqual(await violations(client.listBeers({ orderBy: "abv; drop table beers" })), ["order_by"]);
    assert.deepEqual(await violations(client.listBeers({ pageToken: "not-a-token" })), ["page_token"]);
    const page = await client.listBeers({ pageSize: 1, orderBy: "abv" });
    assert.deepEqual(await violations(client.listBeers({ orderBy: "name", pageToken: page.nextPageToken })), ["page_token"]);
  });
});

describe("bad input", () => {
  test("is INVALID_ARGUMENT with every field named, and writes neither a beer nor an event", async () => {
    const before = await snapshot();
    assert.deepEqual(
      await violations(client.addBeer({ name: "  ", style: "s".repeat(101), abv: 70.5, requestId: "bad key!" })),
      ["name", "style", "abv", "request_id"],
    );
    assert.deepEqual(await violations(client.addBeer({ name: "x".repeat(101) })), ["name"]);
    assert.deepEqual(await violations(client.addBeer({ name: "Line\nBreak" })), ["name"]);
    for (const abv of [-0.1, 70.01, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      assert.deepEqual(await violations(client.addBeer({ name: "Bad ABV", abv })), ["abv"], `abv ${abv}`);
    }
    assert.deepEqual(await violations(client.renameBeer({ id: "nope", name: "" })), ["id", "name"]);
    assert.deepEqual(await violations(client.renameBeer({ id: SEED_BEERS[0].id, name: "y".repeat(101) })), ["name"]);
    assert.deepEqual(await violations(client.removeBeer({ id: "" })), ["id"]);
    assert.deepEqual(await violations(client.getBeer({ id: "42" })), ["id"]);
    assert.deepEqual(await snapshot(), before);
    await assert.rejects(client.getBeer({ id: UNKNOWN_ID }), code(Code.NotFound));
  });

  test("ABV bounds themselves are accepted", async () => {
    for (const abv of [0, 70]) {
      const { beer } = await client.addBeer({ name: `Edge ${abv}`, abv });
      assert.equal(beer?.abv, abv);
      await client.removeBeer({ id: beer!.id });
    }
  });
});
