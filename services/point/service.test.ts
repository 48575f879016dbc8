// In-process RPC tests of PointService: real handlers over a real migrated database.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError, createClient, createRouterTransport, type Client } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { PointService } from "../../gen/mesh/point/v1/point_pb.js";
import { newId } from "../platform/ids.js";
import { REFERENCE_USERS } from "../platform/reference-data.js";
import { openTestDatabase, type TestDatabase } from "../testing/database.js";
import { migrations } from "./migrations/index.js";
import type { PointDatabase } from "./schema.js";
import { seedPoints } from "./seed.js";
import { createPointService } from "./service.js";

let database: TestDatabase<PointDatabase>;
let client: Client<typeof PointService>;

async function violations(call: Promise<unknown>): Promise<string[]> {
  const err = await call.then(
    () => assert.fail("expected INVALID_ARGUMENT"),
    (e: unknown) => ConnectError.from(e),
  );
  assert.equal(err.code, Code.InvalidArgument, err.message);
  return err.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field));
}

async function ledgerSum(userId: string): Promise<bigint> {
  const rows = await database.db.selectFrom("point_entries").select("delta").where("user_id", "=", userId).execute();
  return rows.reduce((sum, r) => sum + BigInt(r.delta), 0n);
}

before(async () => {
  database = await openTestDatabase<PointDatabase>("point", migrations);
  await seedPoints(database.db);
  await seedPoints(database.db); // idempotent
  const impl = createPointService({ db: database.db });
  client = createClient(PointService, createRouterTransport(({ service }) => service(PointService, impl)));
});

after(() => database.dispose());

describe("reads", () => {
  test("GetUserPoints returns the reference points, and 0 for a user without entries", async () => {
    const george = REFERENCE_USERS.find((u) => u.name === "George Costanza")!;
    assert.equal((await client.getUserPoints({ userId: george.id })).points, 93n);
    assert.equal((await client.getUserPoints({ userId: newId() })).points, 0n);
  });

  test("BatchGetUserPoints answers every id once, 0 for unknown ones", async () => {
    const unknown = newId();
    const ids = [REFERENCE_USERS[0]!.id, REFERENCE_USERS[0]!.id, unknown];
    const { points } = await client.batchGetUserPoints({ userIds: ids });
    assert.deepEqual(points, { [REFERENCE_USERS[0]!.id]: 23n, [unknown]: 0n });
  });

  test("ListTopUsers orders by points, most first, ties by user id", async () => {
    const { users } = await client.listTopUsers({ limit: 3 });
    assert.deepEqual(
      users.map((u) => [u.userId, u.points]),
      [...REFERENCE_USERS]
        .sort((a, b) => b.points - a.points || a.id.localeCompare(b.id))
        .slice(0, 3)
        .map((u) => [u.id, BigInt(u.points)]),
    );
    assert.equal((await client.listTopUsers({})).users.length, 9);
  });

  test("bad reads are INVALID_ARGUMENT with field violations", async () => {
    assert.deepEqual(await violations(client.getUserPoints({ userId: "nope" })), ["user_id"]);
    assert.deepEqual(await violations(client.batchGetUserPoints({ userIds: [] })), ["user_ids"]);
    assert.deepEqual(await violations(client.batchGetUserPoints({ userIds: [newId(), "x"] })), ["user_ids[1]"]);
    assert.deepEqual(
      await violations(client.batchGetUserPoints({ userIds: Array.from({ length: 1001 }, () => newId()) })),
      ["user_ids"],
    );
    assert.deepEqual(await violations(client.listTopUsers({ limit: 101 })), ["limit"]);
    assert.deepEqual(await violations(client.listTopUsers({ limit: -1 })), ["limit"]);
  });
});

describe("AddPoints", () => {
  test("appends to the ledger; the balance is the sum of entries", async () => {
    const userId = newId();
    const first = await client.addPoints({ userId, delta: 10n, reason: "welcome" });
    assert.equal(first.points, 10n);
    assert.equal(first.entry?.delta, 10n);
    const second = await client.addPoints({ userId, delta: -4n });
    assert.equal(second.points, 6n);
    assert.equal((await client.getUserPoints({ userId })).points, 6n);
    assert.equal(await ledgerSum(userId), 6n);
  });

  test("concurrent entries for one user all count", async () => {
    const userId = newId();
    await Promise.all(Array.from({ length: 20 }, () => client.addPoints({ userId, delta: 5n })));
    assert.equal((await client.getUserPoints({ userId })).points, 100n);
    assert.equal(await ledgerSum(userId), 100n);
  });

  test("an entry that would go below zero is FAILED_PRECONDITION and writes nothing", async () => {
    const userId = newId();
    await client.addPoints({ userId, delta: 3n });
    const err = await client.addPoints({ userId, delta: -4n }).then(
      () => assert.fail("expected FAILED_PRECONDITION"),
      (e: unknown) => ConnectError.from(e),
    );
    assert.equal(err.code, Code.FailedPrecondition);
    assert.equal(err.findDetails(ErrorInfoSchema)[0]?.reason, "INSUFFICIENT_POINTS");
    assert.equal((await client.getUserPoints({ userId })).points, 3n);
    assert.equal(await ledgerSum(userId), 3n);
  });

  test("a retry with the same request_id adds once and returns the same answer", async () => {
    const userId = newId();
    const request = { userId, delta: 7n, requestId: `add-${userId}` };
    const answers = await Promise.all([client.addPoints(request), client.addPoints(request), client.addPoints(request)]);
    for (const answer of answers) assert.deepEqual(answer, answers[0]);
    const later = await client.addPoints(request);
    assert.deepEqual(later, answers[0]);
    assert.equal((await client.getUserPoints({ userId })).points, 7n);
    assert.deepEqual(await violations(client.addPoints({ ...request, delta: 8n })), ["request_id"]);
    assert.equal(await ledgerSum(userId), 7n);
  });

  test("bad input is INVALID_ARGUMENT with every field named, and writes nothing", async () => {
    const userId = newId();
    assert.deepEqual(
      await violations(client.addPoints({ userId: "x", delta: 0n, requestId: "bad id with spaces", reason: "r".repeat(201) })),
      ["user_id", "delta", "reason", "request_id"],
    );
    assert.deepEqual(await violations(client.addPoints({ userId, delta: 1_000_000_001n })), ["delta"]);
    assert.deepEqual(await violations(client.addPoints({ userId, delta: -1_000_000_001n })), ["delta"]);
    assert.equal(await ledgerSum(userId), 0n);
  });
});
