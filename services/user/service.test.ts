// In-process RPC tests of UserService: real handlers, a real migrated database,
// fake point and department services behind router transports.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { FieldMaskSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, createRouterTransport, type Client } from "@connectrpc/connect";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { DepartmentService } from "../../gen/mesh/department/v1/department_pb.js";
import { PointService } from "../../gen/mesh/point/v1/point_pb.js";
import { UserService } from "../../gen/mesh/user/v1/user_pb.js";
import { REFERENCE_DEPARTMENTS, REFERENCE_USERS } from "../platform/reference-data.js";
import { openTestDatabase, type TestDatabase } from "../testing/database.js";
import { silentLogger } from "../testing/harness.js";
import { migrations } from "./migrations/index.js";
import type { UserDatabase } from "./schema.js";
import { seedUsers } from "./seed.js";
import { createUserService } from "./service.js";

let database: TestDatabase<UserDatabase>;
let client: Client<typeof UserService>;
let pointsFail = false;

/** Field paths of the BadRequest violations carried by an INVALID_ARGUMENT error. */
async function violations(call: Promise<unknown>): Promise<string[]> {
  const err = await call.then(
    () => assert.fail("expected INVALID_ARGUMENT"),
    (e: unknown) => ConnectError.from(e),
  );
  assert.equal(err.code, Code.InvalidArgument, err.message);
  return err.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field));
}

before(async () => {
  database = await openTestDatabase<UserDatabase>("user", migrations);
  await seedUsers(database.db);
  const reference = new Map(REFERENCE_USERS.map((u) => [u.id, BigInt(u.points)]));
  const upstreams = createRouterTransport(({ service }) => {
    service(PointService, {
      batchGetUserPoints(req) {
        if (pointsFail) throw new ConnectError("down", Code.Unavailable);
        return { points: Object.fromEntries(req.userIds.map((id) => [id, reference.get(id) ?? 0n])) };
      },
    });
    service(DepartmentService, {
      batchGetDepartments(req) {
        const known = REFERENCE_DEPARTMENTS.filter((d) => req.ids.includes(d.id));
        return { departments: Object.fromEntries(known.map((d) => [d.id, { id: d.id, name: d.name }])) };
      },
    });
  });
  const impl = createUserService({
    db: database.db,
    points: createClient(PointService, upstreams),
    departments: createClient(DepartmentService, upstreams),
    logger: silentLogger(),
    upstreamTimeoutMs: 1000,
  });
  client = createClient(UserService, createRouterTransport(({ service }) => service(UserService, impl)));
});

after(() => database.dispose());

describe("GetUserStatistics", () => {
  test("returns the reference figures, points and department names", async () => {
    const res = await client.getUserStatistics({ pageSize: 100 });
    assert.equal(res.totalSize, 9);
    assert.deepEqual(res.degraded, []);
    assert.deepEqual({ ...res.age, $typeName: undefined }, { $typeName: undefined, min: 22, max: 40, avg: 31.22 });
    assert.deepEqual({ ...res.salary, $typeName: undefined }, { $typeName: undefined, min: 48000, max: 90000, avg: 68333.33 });
    const george = res.users.find((u) => u.user?.name === "George Costanza");
    assert.equal(george?.points, 93n);
    assert.equal(george?.departmentName, "IT Support");
  });

  test("answers without points, naming them in degraded, when the point service fails", async () => {
    pointsFail = true;
    try {
      const res = await client.getUserStatistics({ pageSize: 3 });
      assert.deepEqual(res.degraded, ["points"]);
      assert.equal(res.users.length, 3);
      assert.ok(res.users.every((u) => u.points === undefined && u.departmentName !== undefined));
      assert.equal(res.totalSize, 9);
    } finally {
      pointsFail = false;
    }
  });

  test("figures follow the department filter", async () => {
    const it = REFERENCE_DEPARTMENTS[2]!;
    const res = await client.getUserStatistics({ departmentId: it.id });
    assert.equal(res.totalSize, 3);
    assert.equal(res.age?.max, 40);
    assert.equal(res.users.reduce((sum, u) => sum + (u.points ?? 0n), 0n), 179n);
  });
});

describe("ListUsers", () => {
  test("pages in a stable order with a correct total on every page", async () => {
    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const res = await client.listUsers({ pageSize: 2, orderBy: "age desc", pageToken });
      assert.equal(res.totalSize, 9);
      seen.push(...res.users.map((u) => u.name));
      pageToken = res.nextPageToken;
      pages++;
    } while (pageToken !== "");
    assert.equal(pages, 5);
    const expected = [...REFERENCE_USERS].sort((a, b) => b.age - a.age).map((u) => u.name);
    assert.deepEqual(seen, expected);
  });

  test("a page token stays valid across an insert before the cursor", async () => {
    const first = await client.listUsers({ pageSize: 3, orderBy: "name" });
    const created = await client.createUser({ name: "Aaron Aardvark", email: "aaron@example.com", age: 50, salary: 1 });
    try {
      const second = await client.listUsers({ pageSize: 3, orderBy: "name", pageToken: first.nextPageToken });
      assert.equal(second.totalSize, 10);
      const firstNames = first.users.map((u) => u.name);
      assert.ok(second.users.every((u) => !firstNames.includes(u.name) && u.name > firstNames.at(-1)!));
    } finally {
      await client.deleteUser({ id: created.user!.id });
    }
  });

  test("filters by name substring, case-insensitive, treating the text as data", async () => {
    assert.deepEqual((await client.listUsers({ nameContains: "SMITH" })).users.map((u) => u.name), ["Bob Smith"]);
    assert.equal((await client.listUsers({ nameContains: "%" })).totalSize, 0);
    assert.equal((await client.listUsers({ nameContains: "' or 1=1 --" })).totalSize, 0);
  });

  test("rejects bad list parameters with field violations", async () => {
    assert.deepEqual(await violations(client.listUsers({ pageSize: -1 })), ["page_size"]);
    assert.deepEqual(await violations(client.listUsers({ pageSize: 1001 })), ["page_size"]);
    assert.deepEqual(await violations(client.listUsers({ orderBy: "salary; drop table users" })), ["order_by"]);
    assert.deepEqual(await violations(client.listUsers({ orderBy: "password" })), ["order_by"]);
    assert.deepEqual(await violations(client.listUsers({ pageToken: "forged" })), ["page_token"]);
    assert.deepEqual(await violations(client.listUsers({ departmentId: "42" })), ["department_id"]);
    const page = await client.listUsers({ pageSize: 1, orderBy: "age" });
    // A token is bound to its order and filter.
    assert.deepEqual(await violations(client.listUsers({ orderBy: "name", pageToken: page.nextPageToken })), ["page_token"]);
    const tampered = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(page.nextPageToken, "base64url").toString()), k: "x" }),
    ).toString("base64url");
    assert.deepEqual(await violations(client.listUsers({ orderBy: "age", pageToken: tampered })), ["page_token"]);
  });
});

describe("CreateUser, GetUser, UpdateUser, DeleteUser", () => {
  test("round trip", async () => {
    const { user } = await client.createUser({
      name: "  Grace Hopper ",
      email: "Grace.Hopper@Example.com",
      age: 85,
      salary: 100000,
      departmentId: REFERENCE_DEPARTMENTS[2]!.id,
    });
    assert.ok(user);
    assert.equal(user.name, "Grace Hopper");
    assert.equal(user.email, "grace.hopper@example.com");
    assert.match(user.id, /^[0-9a-f-]{8}-[0-9a-f]{4}-7/);
    assert.deepEqual((await client.getUser({ id: user.id })).user, user);

    const updated = await client.updateUser({
      user: { id: user.id, age: 86, name: "ignored because not in the mask" },
      updateMask: create(FieldMaskSchema, { paths: ["age"] }),
    });
    assert.equal(updated.user?.age, 86);
    assert.equal(updated.user?.name, "Grace Hopper");

    await client.deleteUser({ id: user.id });
    await assert.rejects(client.getUser({ id: user.id }), (e: ConnectError) => e.code === Code.NotFound);
    await assert.rejects(client.deleteUser({ id: user.id }), (e: ConnectError) => e.code === Code.NotFound);
  });

  test("a taken email is ALREADY_EXISTS, on create and on update", async () => {
    await assert.rejects(
      client.createUser({ name: "Alice Again", email: "ALICE.johnson@example.com", age: 1, salary: 1 }),
      (e: ConnectError) => e.code === Code.AlreadyExists,
    );
    await assert.rejects(
      client.updateUser({
        user: { id: REFERENCE_USERS[1]!.id, email: "alice.johnson@example.com" },
        updateMask: create(FieldMaskSchema, { paths: ["email"] }),
      }),
      (e: ConnectError) => e.code === Code.AlreadyExists,
    );
  });

  test("a retry with the same request_id creates one user; other content under it is rejected", async () => {
    const request = { name: "Idem Potent", email: "idem@example.com", age: 40, salary: 10, requestId: "create-idem-1" };
    const [a, b] = await Promise.all([client.createUser(request), client.createUser(request)]);
    assert.deepEqual(a.user, b.user);
    assert.equal((await client.listUsers({ nameContains: "Idem Potent" })).totalSize, 1);
    assert.deepEqual(await violations(client.createUser({ ...request, age: 41 })), ["request_id"]);
    await client.deleteUser({ id: a.user!.id });
  });

  test("bad input is INVALID_ARGUMENT with every field named, and writes nothing", async () => {
    const before = (await client.listUsers({})).totalSize;
    assert.deepEqual(
      await violations(client.createUser({ name: "", email: "not-an-email", age: -1, salary: -5, departmentId: "x" })),
      ["name", "email", "age", "salary", "department_id"],
    );
    assert.deepEqual(await violations(client.createUser({ name: "x".repeat(300), email: "a@b.co", age: 1, salary: 1 })), ["name"]);
    assert.deepEqual(await violations(client.createUser({ name: "Nul\u0000Byte", email: "a@b.co", age: 1, salary: 1 })), ["name"]);
    assert.deepEqual(await violations(client.getUser({ id: "not-a-uuid" })), ["id"]);
    assert.deepEqual(await violations(client.updateUser({ user: { id: REFERENCE_USERS[0]!.id }, updateMask: create(FieldMaskSchema, { paths: ["id"] }) })), ["update_mask"]);
    assert.deepEqual(await violations(client.updateUser({})), ["user"]);
    assert.equal((await client.listUsers({})).totalSize, before);
    assert.equal((await client.getUser({ id: REFERENCE_USERS[0]!.id })).user?.name, "Alice Johnson");
  });

  test("GetUser of an unknown id is NOT_FOUND", async () => {
    await assert.rejects(
      client.getUser({ id: "01900000-0000-7000-8000-ffffffffffff" }),
      (e: ConnectError) => e.code === Code.NotFound,
    );
  });
});
