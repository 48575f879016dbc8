// In-process RPC tests of GetDepartmentReport: real handler and database, fake
// user and point services behind a router transport, so each test controls
// what the upstreams answer and sees what they were asked.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, beforeEach, describe, test } from "node:test";
import { Code, ConnectError, createClient, createRouterTransport, type Client, type HandlerContext } from "@connectrpc/connect";
import { DepartmentService } from "../../gen/mesh/department/v1/department_pb.js";
import { PointService } from "../../gen/mesh/point/v1/point_pb.js";
import { type ListUsersRequest, UserService } from "../../gen/mesh/user/v1/user_pb.js";
import { REFERENCE_DEPARTMENTS, REFERENCE_USERS } from "../platform/reference-data.js";
import { openTestDatabase, type TestDatabase } from "../testing/database.js";
import { silentLogger } from "../testing/harness.js";
import { migrations } from "./migrations/index.js";
import type { DepartmentDatabase } from "./schema.js";
import { seedDepartments } from "./seed.js";
import { createDepartmentService } from "./service.js";

const IT = REFERENCE_DEPARTMENTS[2]!;
const HR = REFERENCE_DEPARTMENTS[0]!;
/** The fake user service serves at most this many users per page, whatever was asked, to make the handler page. */
const FAKE_PAGE = 2;

let database: TestDatabase<DepartmentDatabase>;
let client: Client<typeof DepartmentService>;
let userCalls: Array<{ req: ListUsersRequest; timeoutMs: number | undefined }>;
let pointCalls: Array<{ userIds: string[]; timeoutMs: number | undefined; aborted?: boolean }>;
let usersFail: boolean;
let pointsFail: boolean;
let pointsHang: boolean;

before(async () => {
  database = await openTestDatabase<DepartmentDatabase>("department", migrations);
  await seedDepartments(database.db);
  const upstreams = createRouterTransport(({ service }) => {
    service(UserService, {
      listUsers(req, ctx) {
        userCalls.push({ req, timeoutMs: ctx.timeoutMs() });
        if (usersFail) throw new ConnectError("down", Code.Unavailable);
        const all = REFERENCE_USERS.filter((u) => u.departmentId === req.departmentId);
        const offset = req.pageToken === "" ? 0 : Number(req.pageToken);
        const page = all.slice(offset, offset + Math.min(req.pageSize, FAKE_PAGE));
        const next = offset + page.length;
        return {
          users: page.map((u) => ({ id: u.id, name: u.name, age: u.age, salary: u.salary, departmentId: u.departmentId })),
          nextPageToken: next < all.length ? String(next) : "",
          totalSize: all.length,
        };
      },
    });
    service(PointService, {
      async batchGetUserPoints(req, ctx: HandlerContext) {
        const call: (typeof pointCalls)[number] = { userIds: req.userIds, timeoutMs: ctx.timeoutMs() };
        pointCalls.push(call);
        ctx.signal.addEventListener("abort", () => (call.aborted = true));
        if (pointsHang) await sleep(10_000, undefined, { signal: ctx.signal });
        if (pointsFail) throw new ConnectError("down", Code.Unavailable);
        const byId = new Map(REFERENCE_USERS.map((u) => [u.id, BigInt(u.points)]));
        return { points: Object.fromEntries(req.userIds.map((id) => [id, byId.get(id) ?? 0n])) };
      },
    });
  });
  const impl = createDepartmentService({
    db: database.db,
    users: createClient(UserService, upstreams),
    points: createClient(PointService, upstreams),
    logger: silentLogger(),
    upstreamTimeoutMs: 1000,
  });
  client = createClient(DepartmentService, createRouterTransport(({ service }) => service(DepartmentService, impl)));
});

after(() => database.dispose());

beforeEach(() => {
  userCalls = [];
  pointCalls = [];
  usersFail = pointsFail = pointsHang = false;
});

describe("GetDepartmentReport", () => {
  test("reports the reference IT Support department", async () => {
    const res = await client.getDepartmentReport({ id: IT.id });
    assert.equal(res.department?.name, "IT Support");
    assert.equal(res.headcount, 3);
    assert.deepEqual([res.age?.min, res.age?.max, res.age?.avg], [22, 40, 33.33]);
    assert.deepEqual([res.salary?.min, res.salary?.max, res.salary?.avg], [48000, 90000, 74333.33]);
    assert.equal(res.totalPoints, 179n);
    assert.deepEqual(
      res.topUsers.map((t) => [t.name, t.points]),
      [
        ["George Costanza", 93n],
        ["Ian Malcolm", 73n],
        ["Hannah Baker", 13n],
      ],
    );
    assert.equal(res.topUsers[0]?.userId, REFERENCE_USERS[6]!.id);
    assert.deepEqual(res.degraded, []);
  });

  test("pages through every user with the department filter, then asks for points once", async () => {
    await client.getDepartmentReport({ id: HR.id });
    assert.equal(userCalls.length, 2, "3 users at 2 per page");
    assert.ok(userCalls.every((c) => c.req.departmentId === HR.id && c.req.pageSize === 1000));
    assert.deepEqual(userCalls.map((c) => c.req.pageToken), ["", "2"]);
    assert.equal(pointCalls.length, 1);
    assert.deepEqual(pointCalls[0]!.userIds.sort(), REFERENCE_USERS.slice(0, 3).map((u) => u.id).sort());
  });

  test("a department without users has a headcount of 0 and asks nobody for points", async () => {
    const { department } = await client.createDepartment({ name: "Empty Wing" });
    try {
      const res = await client.getDepartmentReport({ id: department!.id });
      assert.equal(res.headcount, 0);
      assert.equal(res.totalPoints, 0n);
      assert.equal(res.age, undefined);
      assert.deepEqual(res.topUsers, []);
      assert.deepEqual(res.degraded, []);
      assert.equal(pointCalls.length, 0);
    } finally {
      await client.deleteDepartment({ id: department!.id });
    }
  });

  test("without the user service: degraded users and points, department still present", async () => {
    usersFail = true;
    const res = await client.getDepartmentReport({ id: IT.id });
    assert.deepEqual(res.degraded, ["users", "points"]);
    assert.equal(res.department?.id, IT.id);
    assert.equal(res.headcount, undefined);
    assert.equal(res.age, undefined);
    assert.equal(res.salary, undefined);
    assert.equal(res.totalPoints, undefined);
    assert.deepEqual(res.topUsers, []);
    assert.equal(pointCalls.length, 0);
  });

  test("without the point service: degraded points, user figures still present", async () => {
    pointsFail = true;
    const res = await client.getDepartmentReport({ id: IT.id });
    assert.deepEqual(res.degraded, ["points"]);
    assert.equal(res.headcount, 3);
    assert.equal(res.age?.max, 40);
    assert.equal(res.salary?.min, 48000);
    assert.equal(res.totalPoints, undefined);
    assert.deepEqual(res.topUsers, []);
  });

  test("the caller's deadline reaches every upstream call, and cancels the one still running", async () => {
    pointsHang = true;
    const started = performance.now();
    // The point call carries the caller's deadline, so both end at the same instant. Usually the
    // caller's fires first (DEADLINE_EXCEEDED); when the point call's fires a moment earlier (both
    // servers share this process's timers), the report answers without points, still in time.
    const outcome = await client.getDepartmentReport({ id: IT.id }, { timeoutMs: 400 }).then(
      (res) => `answered, degraded: ${res.degraded.join()}`,
      (e: unknown) => Code[ConnectError.from(e).code],
    );
    assert.ok(["DeadlineExceeded", "answered, degraded: points"].includes(outcome), outcome);
    assert.ok(performance.now() - started < 2000, "answered at the caller's deadline");
    await sleep(50);
    for (const call of [...userCalls, ...pointCalls]) {
      assert.ok(call.timeoutMs !== undefined && call.timeoutMs > 0 && call.timeoutMs <= 400, `upstream saw ${call.timeoutMs} ms`);
    }
    assert.equal(pointCalls.length, 1);
    assert.equal(pointCalls[0]!.aborted, true, "the point call was cancelled");
  });

  test("the caller's cancellation reaches the running upstream call", async () => {
    pointsHang = true;
    const abort = new AbortController();
    const call = client.getDepartmentReport({ id: IT.id }, { signal: abort.signal });
    while (pointCalls.length === 0) await sleep(5);
    abort.abort();
    await assert.rejects(call, (e: unknown) => ConnectError.from(e).code === Code.Canceled);
    await sleep(50);
    assert.equal(pointCalls[0]!.aborted, true);
  });

  test("an unknown department is NOT_FOUND and a malformed id INVALID_ARGUMENT, without upstream calls", async () => {
    await assert.rejects(
      client.getDepartmentReport({ id: "01900000-0000-7000-8000-ffffffffffff" }),
      (e: unknown) => ConnectError.from(e).code === Code.NotFound,
    );
    await assert.rejects(client.getDepartmentReport({ id: "IT Support" }), (e: unknown) => ConnectError.from(e).code === Code.InvalidArgument);
    assert.equal(userCalls.length + pointCalls.length, 0);
  });
});
