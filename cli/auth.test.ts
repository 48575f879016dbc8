// --token and MESH_TOKEN against a real point service that requires tokens for writes.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { PointService } from "../gen/mesh/point/v1/point_pb.js";
import { signToken } from "../services/platform/auth-token.js";
import { REFERENCE_USERS } from "../services/platform/reference-data.js";
import type { ServiceHost } from "../services/platform/service-host.js";
import type { PointDatabase } from "../services/point/schema.js";
import { startPointService } from "../services/point/server.js";
import { silentLogger, stopAndDrop, testConfig } from "../services/testing/harness.js";
import { EXIT } from "./errors.js";
import { jsonError, runCli, runJson } from "./testing/run-cli.js";

const SECRET = "cli-auth-test-secret-0123456789abcdef";
const ian = REFERENCE_USERS.find((u) => u.name === "Ian Malcolm")!;

let point: ServiceHost<PointDatabase>;
let env: Record<string, string>;
let balance: () => Promise<bigint>;

before(async () => {
  point = await startPointService(testConfig("point", { SEED: "true", AUTH_JWT_SECRET: SECRET }), silentLogger());
  env = { POINT_SERVICE_ADDR: `127.0.0.1:${point.port}` };
  const client = createClient(PointService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${point.port}` }));
  balance = async () => (await client.getUserPoints({ userId: ian.id })).points;
});

after(() => stopAndDrop(point));

describe("tokens from the CLI", () => {
  test("a write without a token fails UNAUTHENTICATED with a hint, and adds nothing", async () => {
    const result = await runCli(["points", "add", ian.id, "3"], env);
    assert.equal(result.code, EXIT.FAILURE);
    assert.match(result.stderr, /^mesh: UNAUTHENTICATED: /m);
    assert.match(result.stderr, /--token or MESH_TOKEN/);
    assert.equal(jsonError(await runCli(["points", "add", ian.id, "3", "--json"], env)).reason, "TOKEN_MISSING");
    assert.equal(await balance(), BigInt(ian.points));
  });

  test("a read-only token is PERMISSION_DENIED (MISSING_SCOPE)", async () => {
    const token = await signToken({ secret: SECRET, scopes: ["mesh:read"] });
    const result = await runCli(["points", "add", ian.id, "3", "--token", token, "--json"], env);
    assert.equal(result.code, EXIT.FAILURE);
    assert.deepEqual([jsonError(result).code, jsonError(result).reason], ["PERMISSION_DENIED", "MISSING_SCOPE"]);
    assert.equal(await balance(), BigInt(ian.points));
  });

  test("--token and MESH_TOKEN both carry a token; the flag wins over the variable", async () => {
    const token = await signToken({ secret: SECRET });
    const byFlag = await runJson(["points", "add", ian.id, "2", "--request-id", "cli-auth-flag"], { ...env, MESH_TOKEN: "not-a-token" });
    assert.equal(byFlag.code, EXIT.FAILURE, "MESH_TOKEN alone is used when no flag is given");
    const withFlag = await runJson(["points", "add", ian.id, "2", "--request-id", "cli-auth-flag", "--token", token], { ...env, MESH_TOKEN: "not-a-token" });
    assert.equal(withFlag.code, EXIT.OK, withFlag.stderr);
    const byEnv = await runJson(["points", "add", ian.id, "3", "--request-id", "cli-auth-env"], { ...env, MESH_TOKEN: token });
    assert.equal(byEnv.code, EXIT.OK, byEnv.stderr);
    assert.equal(await balance(), BigInt(ian.points + 5));
  });
});
