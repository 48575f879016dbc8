import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "./config.js";
import { loadConfig, readServiceConfig } from "./service-config.js";

test("admin ports default per service, follow an ephemeral gRPC port, and -1 turns the server off", () => {
  const admin = (service: "user" | "point" | "department" | "beer", env: Record<string, string> = {}) =>
    loadConfig(env, (r) => readServiceConfig(service, r)).adminPort;
  assert.deepEqual([admin("user"), admin("point"), admin("department"), admin("beer")], [9091, 9092, 9093, 9094]);
  assert.equal(admin("user", { USER_PORT: "0" }), 0);
  assert.equal(admin("user", { USER_PORT: "0", USER_ADMIN_PORT: "9191" }), 9191);
  assert.equal(admin("point", { POINT_ADMIN_PORT: "-1" }), -1);
  assert.throws(() => admin("beer", { BEER_ADMIN_PORT: "-2" }), (e: ConfigError) => e.variables.join() === "BEER_ADMIN_PORT");
});

test("tracing is on only when an OTLP endpoint is set and the SDK is not disabled", () => {
  const tracing = (env: Record<string, string>) => loadConfig(env, (r) => readServiceConfig("user", r)).tracing;
  assert.equal(tracing({}), false);
  assert.equal(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://localhost:4318" }), true);
  assert.equal(tracing({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://localhost:4318/v1/traces" }), true);
  assert.equal(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://localhost:4318", OTEL_SDK_DISABLED: "true" }), false);
  assert.equal(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://localhost:4318", OTEL_TRACES_EXPORTER: "none" }), false);
  assert.equal(tracing({ OTEL_SERVICE_NAME: "user", OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf" }), false);
});

test("V8's allocation-site pretenuring stays off unless V8_PRETENURING asks for it", () => {
  const pretenuring = (env: Record<string, string>) => loadConfig(env, (r) => readServiceConfig("beer", r)).v8Pretenuring;
  assert.equal(pretenuring({}), false);
  assert.equal(pretenuring({ V8_PRETENURING: "true" }), true);
  assert.equal(pretenuring({ V8_PRETENURING: "false" }), false);
  assert.throws(() => pretenuring({ V8_PRETENURING: "sometimes" }), (e: ConfigError) => e.variables.join() === "V8_PRETENURING");
});

test("V8_BYTECODE_OLD_AGE defaults to 1 and takes 1 to 100", () => {
  const age = (env: Record<string, string>) => loadConfig(env, (r) => readServiceConfig("beer", r)).v8BytecodeOldAge;
  assert.equal(age({}), 1);
  assert.equal(age({ V8_BYTECODE_OLD_AGE: "6" }), 6);
  for (const bad of ["0", "101", "soon"]) {
    assert.throws(() => age({ V8_BYTECODE_OLD_AGE: bad }), (e: ConfigError) => e.variables.join() === "V8_BYTECODE_OLD_AGE");
  }
});
