// The beer service's domain counters, read back from its admin server's
// /metrics: a replayed AddBeer and a refused duplicate count nothing.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ConnectError, Code, createClient } from "@connectrpc/connect";
import { BeerService } from "../../gen/mesh/beer/v1/beer_pb.js";
import type { ServiceHost } from "../platform/service-host.js";
import { grpcTransport, silentLogger, stopAndDrop, testConfig } from "../testing/harness.js";
import { scrape, value } from "../testing/metrics-text.js";
import type { BeerDatabase } from "./schema.js";
import { startBeerService } from "./server.js";

let beer: ServiceHost<BeerDatabase>;

before(async () => {
  beer = await startBeerService({ ...testConfig("beer"), eventPollIntervalMs: 1000 }, silentLogger());
});

after(() => stopAndDrop(beer));

test("mesh_beers_added_total and mesh_beers_removed_total count beers added and removed, not replays or refusals", async () => {
  const client = createClient(BeerService, grpcTransport(beer.port));
  const requestId = "01900000-0000-7000-8000-00000000bee1";
  const { beer: porter } = await client.addBeer({ name: "Metric Porter", style: "porter", requestId });
  await client.addBeer({ name: "Metric Porter", style: "porter", requestId }); // a replay
  await client.addBeer({ name: "Metric Stout", style: "stout" });
  const duplicate = await client.addBeer({ name: "Metric Stout", style: "stout" }).catch((e: unknown) => ConnectError.from(e));
  assert.equal(duplicate instanceof ConnectError ? duplicate.code : undefined, Code.AlreadyExists);
  await client.removeBeer({ id: porter!.id });
  const missing = await client.removeBeer({ id: porter!.id }).catch((e: unknown) => ConnectError.from(e));
  assert.equal(missing instanceof ConnectError ? missing.code : undefined, Code.NotFound);

  const text = await scrape(beer.adminPort!);
  assert.equal(value(text, "mesh_beers_added_total"), 2);
  assert.equal(value(text, "mesh_beers_removed_total"), 1);
});
