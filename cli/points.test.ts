// points add against a real point service on loopback with the reference data.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { PointService } from "../gen/mesh/point/v1/point_pb.js";
import { REFERENCE_USERS } from "../services/platform/reference-data.js";
import { EXIT } from "./errors.js";
import { startMesh, type TestMesh } from "./testing/mesh.js";
import { jsonError, runCli, runJson } from "./testing/run-cli.js";

interface AddJson {
  entry: { id: string; userId: string; delta: string; reason: string; requestId: string };
  points: string;
}

let mesh: TestMesh;
let balance: (userId: string) => Promise<bigint>;

before(async () => {
  mesh = await startMesh(["point"]);
  const client = createClient(PointService, createGrpcTransport({ baseUrl: `http://${mesh.env.POINT_SERVICE_ADDR}` }));
  balance = async (userId) => (await client.getUserPoints({ userId })).points;
});

after(async () => {
  await mesh.stop();
});

const user = (name: string) => REFERENCE_USERS.find((u) => u.name === name)!;

describe("points add", () => {
  test("adds once for one request id, however often the command is retried", async () => {
    const alice = user("Alice Johnson");
    const argv = ["points", "add", alice.id, "5", "--reason", "reviewed a design", "--request-id", "cli-test-retry-1"];
    const first = await runJson<AddJson>(argv, mesh.env);
    const retry = await runJson<AddJson>(argv, mesh.env);
    assert.equal(first.code, EXIT.OK, first.stderr);
    assert.equal(retry.code, EXIT.OK, retry.stderr);
    assert.equal(retry.json?.entry.id, first.json?.entry.id);
    assert.deepEqual(
      [first.json?.entry.delta, first.json?.entry.reason, first.json?.points],
      ["5", "reviewed a design", String(alice.points + 5)],
    );
    assert.equal(await balance(alice.id), BigInt(alice.points + 5));
  });

  test("without --request-id one is generated, printed before the call, and makes the retry safe", async () => {
    const bob = user("Bob Smith");
    const first = await runJson<AddJson>(["points", "add", bob.id, "7"], mesh.env);
    assert.equal(first.code, EXIT.OK, first.stderr);
    const printed = /^request id: (\S+)$/m.exec(first.stderr)?.[1];
    assert.ok(printed);
    assert.equal(first.json?.entry.requestId, printed);
    const retry = await runJson<AddJson>(["points", "add", bob.id, "7", "--request-id", printed], mesh.env);
    assert.equal(retry.json?.entry.id, first.json?.entry.id);
    assert.equal(retry.stderr, "");
    assert.equal(await balance(bob.id), BigInt(bob.points + 7));
  });

  test("a negative delta takes points away; the table shows the new balance", async () => {
    const charlie = user("Charlie Brown");
    const res = await runCli(["points", "add", charlie.id, "-8"], mesh.env);
    assert.equal(res.code, EXIT.OK, res.stderr);
    assert.match(res.stdout, new RegExp(`^points: +${charlie.points - 8}$`, "m"));
    assert.match(res.stdout, /^delta: +-8$/m);
    assert.equal(await balance(charlie.id), BigInt(charlie.points - 8));
  });

  test("a zero delta and a malformed user id: INVALID_ARGUMENT with both fields, nothing added", async () => {
    const res = await runCli(["points", "add", "not-a-uuid", "0", "--json"], mesh.env);
    assert.equal(res.code, EXIT.FAILURE);
    const err = jsonError(res);
    assert.equal(err.code, "INVALID_ARGUMENT");
    assert.deepEqual(err.fieldViolations.map((v) => v.field).sort(), ["delta", "user_id"]);
    const text = await runCli(["points", "add", "not-a-uuid", "0"], mesh.env);
    assert.match(text.stderr, /^mesh: INVALID_ARGUMENT: /m);
    assert.match(text.stderr, /^ {2}delta: /m);
    assert.match(text.stderr, /^ {2}user_id: /m);
  });

  test("taking more than the balance: FAILED_PRECONDITION, exit 1, balance unchanged", async () => {
    const ethan = user("Ethan Hunt");
    const res = await runCli(["points", "add", ethan.id, "-1000", "--json"], mesh.env);
    assert.equal(res.code, EXIT.FAILURE);
    assert.equal(jsonError(res).code, "FAILED_PRECONDITION");
    assert.equal(await balance(ethan.id), BigInt(ethan.points));
  });

  test("the point service down: UNAVAILABLE, exit 1", async () => {
    const res = await runCli(["points", "add", user("Ian Malcolm").id, "1", "--point-addr", "127.0.0.1:9", "--json"], mesh.env);
    assert.equal(res.code, EXIT.FAILURE);
    assert.equal(jsonError(res).code, "UNAVAILABLE");
  });
});
