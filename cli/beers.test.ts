// beers add / rm / ls / watch against a beer service on loopback (see
// testing/mesh.ts: an in-memory fake until the real service lands).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { BeerService } from "../gen/mesh/beer/v1/beer_pb.js";
import { startFakeServer } from "../services/testing/fake-server.js";
import { EXIT } from "./errors.js";
import { run } from "./main.js";
import { startBeer, type RunningService } from "./testing/mesh.js";
import { Capture, jsonError, runCli, runJson } from "./testing/run-cli.js";

interface BeerJson {
  id: string;
  name: string;
  style: string;
  abv?: number;
}
interface ListJson {
  beers: BeerJson[];
  totalSize: number;
  nextPageToken: string;
}
interface EventJson {
  cursor: string;
  type: string;
  beer: BeerJson;
  previousName: string;
}

let beer: RunningService;
let env: Record<string, string>;
// Names of this run's own, so beers seeded or left by others do not matter.
const tag = `t${Date.now().toString(36)}`;

before(async () => {
  beer = await startBeer();
  env = { BEER_SERVICE_ADDR: `127.0.0.1:${beer.port}` };
});

after(async () => {
  await beer.stop();
});

async function addBeer(name: string, ...options: string[]): Promise<BeerJson> {
  const res = await runJson<{ beer: BeerJson }>(["beers", "add", name, ...options], env);
  assert.equal(res.code, EXIT.OK, res.stderr);
  return res.json!.beer;
}

describe("beers add", () => {
  test("adds a beer with its style and ABV, the name trimmed", async () => {
    const added = await addBeer(`  ${tag} Pale  `, "--style", "APA", "--abv", "5.5");
    assert.deepEqual([added.name, added.style, added.abv], [`${tag} Pale`, "APA", 5.5]);
    const text = await runCli(["beers", "add", `${tag} Stout`], env);
    assert.equal(text.code, EXIT.OK);
    assert.match(text.stdout, new RegExp(`^name: +${tag} Stout$`, "m"));
    assert.match(text.stdout, /^abv: +-$/m);
  });

  test("the same name in another case: ALREADY_EXISTS, exit 1", async () => {
    await addBeer(`${tag} Porter`);
    const res = await runCli(["beers", "add", `${tag} PORTER`], env);
    assert.equal(res.code, EXIT.FAILURE);
    assert.match(res.stderr, /^mesh: ALREADY_EXISTS: /);
  });

  test("an empty name and an ABV out of range: INVALID_ARGUMENT with both fields, nothing added", async () => {
    const res = await runCli(["beers", "add", "   ", "--abv", "101", "--json"], env);
    assert.equal(res.code, EXIT.FAILURE);
    const err = jsonError(res);
    assert.equal(err.code, "INVALID_ARGUMENT");
    assert.deepEqual(err.fieldViolations.map((v) => v.field).sort(), ["abv", "name"]);
    const text = await runCli(["beers", "add", "", "--abv", "-1"], env);
    assert.match(text.stderr, /^mesh: INVALID_ARGUMENT: .*\n {2}name: .*\n {2}abv: /);
  });
});

describe("beers ls", () => {
  test("--name-contains, one page at a time, --all", async () => {
    for (const n of ["Lager A", "Lager B", "Lager C"]) await addBeer(`${tag} ${n}`);
    const lagers = ["beers", "ls", "--name-contains", `${tag} lager`];
    const all = await runJson<ListJson>(lagers, env);
    assert.equal(all.code, EXIT.OK);
    assert.deepEqual(all.json?.beers.map((b) => b.name), [`${tag} Lager A`, `${tag} Lager B`, `${tag} Lager C`]);
    assert.equal(all.json?.totalSize, 3);

    const page = await runJson<ListJson>([...lagers, "--page-size", "2"], env);
    assert.equal(page.json?.beers.length, 2);
    assert.notEqual(page.json?.nextPageToken, "");
    const followed = await runJson<ListJson>([...lagers, "--page-size", "2", "--all"], env);
    assert.equal(followed.json?.beers.length, 3);
    assert.equal(followed.json?.nextPageToken, "");

    const table = await runCli([...lagers, "--page-size", "2"], env);
    assert.equal(table.stdout.trimEnd().split("\n").length, 1 + 2);
    assert.match(table.stderr, /^2 of 3 shown; next page: mesh beers ls --page-token \S+/);
  });
});

describe("beers rm", () => {
  test("returns the removed beer with its name; a second rm is NOT_FOUND, exit 1", async () => {
    const added = await addBeer(`${tag} Bock`);
    const removed = await runJson<{ beer: BeerJson }>(["beers", "rm", added.id], env);
    assert.equal(removed.code, EXIT.OK);
    assert.deepEqual([removed.json?.beer.id, removed.json?.beer.name], [added.id, `${tag} Bock`]);
    const again = await runCli(["beers", "rm", added.id], env);
    assert.equal(again.code, EXIT.FAILURE);
    assert.ok(again.stderr.startsWith(`mesh: NOT_FOUND: `));
    assert.ok(again.stderr.includes(added.id));
  });

  test("a malformed id: INVALID_ARGUMENT naming the id field", async () => {
    const res = await runCli(["beers", "rm", "42", "--json"], env);
    assert.equal(res.code, EXIT.FAILURE);
    assert.deepEqual(jsonError(res).fieldViolations.map((v) => v.field), ["id"]);
  });
});

/** Runs `mesh beers watch` in the background until `stop()`. */
function startWatch(argv: readonly string[]) {
  const stdout = new Capture();
  const stderr = new Capture();
  const controller = new AbortController();
  const exit = run(["beers", "watch", ...argv], { stdout, stderr, env, signal: controller.signal });
  return { stdout, stderr, exit, stop: () => (controller.abort(), exit) };
}

const parseEvents = (lines: string[]): EventJson[] => lines.map((l) => JSON.parse(l) as EventJson);

describe("beers watch", () => {
  test("past events, then another client's add, rename and remove in order; resuming after a cursor: no gap, no repeat", async () => {
    const first = await addBeer(`${tag} Witbier`);
    const watch = startWatch(["--json"]);
    const seen = (id: string, type: string) => (lines: string[]) =>
      parseEvents(lines).some((e) => e.beer.id === id && e.type === type);
    await watch.stdout.waitFor(seen(first.id, "BEER_EVENT_TYPE_ADDED"));

    const other = createClient(BeerService, createGrpcTransport({ baseUrl: `http://${env.BEER_SERVICE_ADDR}` }));
    const { beer: b } = await other.addBeer({ name: `${tag} Saison` });
    await other.renameBeer({ id: b!.id, name: `${tag} Saison Dupont` });
    await other.removeBeer({ id: b!.id });
    await watch.stdout.waitFor(seen(b!.id, "BEER_EVENT_TYPE_REMOVED"));
    assert.equal(await watch.stop(), EXIT.OK);

    const events = parseEvents(watch.stdout.lines());
    const mine = events.filter((e) => e.beer.id === b!.id);
    assert.deepEqual(mine.map((e) => e.type), ["BEER_EVENT_TYPE_ADDED", "BEER_EVENT_TYPE_RENAMED", "BEER_EVENT_TYPE_REMOVED"]);
    assert.deepEqual(
      [mine[1]?.previousName, mine[1]?.beer.name, mine[2]?.beer.name],
      [`${tag} Saison`, `${tag} Saison Dupont`, `${tag} Saison Dupont`],
    );
    assert.equal(watch.stderr.text, `last cursor: ${events.at(-1)?.cursor}\n`);

    // Resume after the Witbier's event: exactly the events that followed it, in text form.
    const index = events.findIndex((e) => e.beer.id === first.id);
    const resumed = startWatch(["--after", events[index]!.cursor]);
    const cursorOf = (line: string) => line.split("  ")[1];
    await resumed.stdout.waitFor((lines) => lines.length >= events.length - index - 1);
    assert.equal(await resumed.stop(), EXIT.OK);
    assert.deepEqual(resumed.stdout.lines().map(cursorOf), events.slice(index + 1).map((e) => e.cursor));
    assert.match(resumed.stdout.text, new RegExp(`RENAMED  ${b!.id}  ${tag} Saison -> ${tag} Saison Dupont`));
  });

  test("when the server goes away the watch exits 1 and prints the cursor to resume from", async () => {
    const server = await startBeer();
    const localEnv = { BEER_SERVICE_ADDR: `127.0.0.1:${server.port}` };
    const added = await runJson<{ beer: BeerJson }>(["beers", "add", `${tag} Gose`], localEnv);
    assert.equal(added.code, EXIT.OK);
    const stdout = new Capture();
    const stderr = new Capture();
    const exit = run(["beers", "watch", "--json"], { stdout, stderr, env: localEnv });
    await stdout.waitFor((lines) => lines.length === 1);
    await server.stop();
    assert.equal(await exit, EXIT.FAILURE);
    const cursor = parseEvents(stdout.lines())[0]!.cursor;
    assert.ok(stderr.text.includes(`mesh beers watch --after ${cursor}`), stderr.text);
  });
});

describe("deadline and Ctrl-C", () => {
  test("--timeout is the call's deadline: DEADLINE_EXCEEDED, exit 1; Ctrl-C: exit 130", async () => {
    // A beer service that never answers.
    const stuck = await startFakeServer(BeerService, {
      listBeers: (_req, ctx) =>
        new Promise((_resolve, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason))),
    });
    try {
      const stuckEnv = { BEER_SERVICE_ADDR: `127.0.0.1:${stuck.port}` };
      const started = Date.now();
      const res = await runCli(["beers", "ls", "--timeout", "200", "--json"], stuckEnv);
      assert.equal(res.code, EXIT.FAILURE);
      assert.equal(jsonError(res).code, "DEADLINE_EXCEEDED");
      assert.ok(Date.now() - started < 4000);

      const controller = new AbortController();
      const interrupted = runCli(["beers", "ls"], stuckEnv, controller.signal);
      setTimeout(() => controller.abort(), 100);
      assert.equal((await interrupted).code, EXIT.INTERRUPTED);
    } finally {
      await stuck.stop();
    }
  });
});
