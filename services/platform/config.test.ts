import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, EnvReader } from "./config.js";
import { loadConfig, readServiceConfig } from "./service-config.js";

test("defaults apply when nothing is set", () => {
  const config = loadConfig({}, (r) => readServiceConfig("point", r));
  assert.equal(config.server.port, 50052);
  assert.equal(config.server.httpPort, 8082);
  assert.equal(config.server.host, "0.0.0.0");
  assert.equal(config.database.url, undefined);
  assert.equal(config.database.dataDir, ".data/point");
  assert.equal(config.database.schema, "mesh_point");
  assert.equal(config.seed, false);
});

test("service-prefixed variables win over shared ones", () => {
  const config = loadConfig(
    { DATABASE_URL: "postgres://shared", USER_DATABASE_URL: "postgres://own", USER_PORT: "6000", SEED: "yes" },
    (r) => readServiceConfig("user", r),
  );
  assert.equal(config.database.url, "postgres://own");
  assert.equal(config.server.port, 6000);
  assert.equal(config.seed, true);
});

test("every bad variable is named in one error", () => {
  assert.throws(
    () => loadConfig({ USER_PORT: "70000", SEED: "maybe", LOG_LEVEL: "loud" }, (r) => readServiceConfig("user", r)),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual([...err.variables].sort(), ["LOG_LEVEL", "SEED", "USER_PORT"]);
      return true;
    },
  );
});

test("numbers must be whole and in range; addresses must be host:port", () => {
  const reader = new EnvReader({ A: "1.5", B: "12", C: "localhost", D: "dns:///point-headless:50051" });
  assert.equal(reader.int("A", 7, 0, 100), 7);
  assert.equal(reader.int("B", 7, 0, 100), 12);
  reader.address("C", "x:1");
  assert.equal(reader.address("D", "x:1"), "dns:///point-headless:50051");
  assert.throws(() => reader.done(), (err: ConfigError) => err.variables.join() === "A,C");
});
