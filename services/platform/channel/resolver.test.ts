import assert from "node:assert/strict";
import { test } from "node:test";
import { resolverFor } from "./resolver.js";

test("a static list resolves to itself and is not re-resolved", async () => {
  const resolver = resolverFor("10.0.0.1:50052, 10.0.0.2:50052");
  assert.equal(resolver.dynamic, false);
  assert.deepEqual(await resolver.resolve(), ["10.0.0.1:50052", "10.0.0.2:50052"]);
});

test("dns:/// targets resolve every address of the name", async () => {
  const resolver = resolverFor("dns:///localhost:50052");
  assert.equal(resolver.dynamic, true);
  const addresses = await resolver.resolve();
  assert.ok(addresses.length >= 1);
  assert.ok(addresses.every((a) => a === "127.0.0.1:50052" || a === "[::1]:50052"), addresses.join());
});

test("malformed targets are rejected", () => {
  for (const bad of ["", "localhost", "a:b", "http://x:1", "dns:///nohost"]) assert.throws(() => resolverFor(bad));
});
