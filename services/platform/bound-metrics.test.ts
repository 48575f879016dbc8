import assert from "node:assert/strict";
import { test } from "node:test";
import { Counter, Histogram, Registry } from "prom-client";
import { CounterFamily, HistogramFamily } from "./bound-metrics.js";

const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
// On, between and beyond the bounds: `le` is inclusive.
const OBSERVED = [0, 0.001, 0.005, 0.0050001, 0.01, 0.3, 1, 2.5, 9.99, 10, 11, 1e6];

/** Both registries fed the same updates write the same text and JSON. */
test("a family writes what prom-client's own Counter and Histogram write for the same updates", async () => {
  const ours = new Registry();
  const theirs = new Registry();
  const labelNames = ["grpc_method", "grpc_code"];
  const counter = new CounterFamily("calls_total", "Calls.", ours);
  const histogram = new HistogramFamily("call_seconds", "Call time.", ours, BOUNDS);
  const promCounter = new Counter({ name: "calls_total", help: "Calls.", labelNames, registers: [theirs] });
  const promHistogram = new Histogram({ name: "call_seconds", help: "Call time.", labelNames, buckets: BOUNDS, registers: [theirs] });
  for (const [i, seconds] of OBSERVED.entries()) {
    const labels = { grpc_method: i % 3 === 0 ? "GetUser" : "ListUsers", grpc_code: i % 4 === 0 ? "NotFound" : "OK" };
    counter.series(labels).inc();
    promCounter.inc(labels);
    histogram.series(labels).observe(seconds);
    promHistogram.observe(labels, seconds);
  }
  assert.equal(await ours.metrics(), await theirs.metrics());
  // As JSON (what a reader of getMetricsAsJSON serialized sees).
  const json = async (r: Registry) => JSON.parse(JSON.stringify(await r.getMetricsAsJSON())) as unknown;
  assert.deepEqual(await json(ours), await json(theirs));
});

test("a series is bound once per label set, and a reset zeroes it without unbinding it", async () => {
  const registry = new Registry();
  const family = new CounterFamily("resets_total", "Resets.", registry);
  const series = family.series({ a: "1" });
  assert.equal(family.series({ a: "1" }), series);
  assert.notEqual(family.series({ a: "2" }), series);
  series.inc();
  series.inc();
  registry.resetMetrics();
  series.inc();
  const values = (await registry.getSingleMetric("resets_total")?.get())?.values ?? [];
  assert.deepEqual(
    values.map((v) => [v.labels.a, v.value]),
    [
      ["1", 1],
      ["2", 0],
    ],
  );
});

test("a histogram refuses buckets that do not increase, and a second family of one name", () => {
  const registry = new Registry();
  assert.throws(() => new HistogramFamily("bad_seconds", "Bad.", registry, [0.1, 0.1]), /buckets must increase/);
  assert.equal(registry.getSingleMetric("bad_seconds"), undefined, "a refused family is not registered");
  new CounterFamily("once_total", "Once.", registry);
  assert.throws(() => new CounterFamily("once_total", "Once.", registry), /already been registered/);
});
