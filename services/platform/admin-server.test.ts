import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Counter, Registry } from "prom-client";
import { silentLogger } from "../testing/harness.js";
import { parseMetrics, value } from "../testing/metrics-text.js";
import { createAdminServer, type AdminServer } from "./admin-server.js";
import { HealthRegistry, ServingStatus } from "./health.js";

const registry = new Registry();
const requests = new Counter({ name: "test_requests_total", help: "test", registers: [registry] });
const health = new HealthRegistry();
let admin: AdminServer;
let base: string;

before(async () => {
  admin = createAdminServer({ host: "127.0.0.1", port: 0, registry, health, logger: silentLogger() });
  base = `http://127.0.0.1:${await admin.listen()}`;
});

after(() => admin.close());

test("/metrics serves the registry in the Prometheus text format", async () => {
  requests.inc(3);
  const res = await fetch(`${base}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  assert.equal(value(parseMetrics(await res.text()), "test_requests_total"), 3);
});

test("/readyz follows the gRPC health of the whole server; /healthz answers whatever it is", async () => {
  const statuses: Array<[number, number]> = [];
  for (const status of [undefined, ServingStatus.NOT_SERVING, ServingStatus.SERVING, ServingStatus.NOT_SERVING]) {
    if (status !== undefined) health.set("", status);
    const [ready, live] = await Promise.all([fetch(`${base}/readyz`), fetch(`${base}/healthz`)]);
    await Promise.all([ready.text(), live.text()]);
    statuses.push([ready.status, live.status]);
  }
  assert.deepEqual(statuses, [[503, 200], [503, 200], [200, 200], [503, 200]]);
});

test("other paths are 404 and other methods 405", async () => {
  const [missing, post, head] = await Promise.all([
    fetch(`${base}/nope`),
    fetch(`${base}/metrics`, { method: "POST" }),
    fetch(`${base}/healthz`, { method: "HEAD" }),
  ]);
  await Promise.all([missing.text(), post.text()]);
  assert.deepEqual([missing.status, post.status, head.status], [404, 405, 200]);
});
