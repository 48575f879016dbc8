// How the user service behaves when things go wrong: slow upstreams and
// deadlines, shutdown while calls run, and a database that goes away.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { DepartmentService } from "../../gen/mesh/department/v1/department_pb.js";
import { PointService } from "../../gen/mesh/point/v1/point_pb.js";
import { UserService } from "../../gen/mesh/user/v1/user_pb.js";
import type { ServiceHost } from "../platform/service-host.js";
import { startFakeServer, type FakeServer } from "../testing/fake-server.js";
import { grpcTransport, silentLogger, stopAndDrop, testConfig, usingPostgres } from "../testing/harness.js";
import { startTcpProxy } from "../testing/tcp-proxy.js";
import type { UserDatabase } from "./schema.js";
import { startUserService } from "./server.js";

/** What the slow point service saw of the calls it received. */
const seen: Array<{ timeoutMs: number | undefined; abortedAfterMs?: number }> = [];
let pointDelayMs = 0;
let slowPoint: FakeServer;
let departments: FakeServer;

async function startUser(env: Record<string, string> = {}, database?: Partial<ReturnType<typeof testConfig>["database"]>) {
  const config = testConfig("user", { SEED: "true", ...env });
  return startUserService(
    {
      ...config,
      database: { ...config.database, ...database },
      pointServiceAddr: `127.0.0.1:${slowPoint.port}`,
      departmentServiceAddr: `127.0.0.1:${departments.port}`,
    },
    silentLogger(),
  );
}

before(async () => {
  slowPoint = await startFakeServer(PointService, {
    async batchGetUserPoints(req, ctx) {
      const started = performance.now();
      const record: (typeof seen)[number] = { timeoutMs: ctx.timeoutMs() };
      seen.push(record);
      ctx.signal.addEventListener("abort", () => (record.abortedAfterMs = performance.now() - started));
      await sleep(pointDelayMs, undefined, { signal: ctx.signal });
      return { points: Object.fromEntries(req.userIds.map((id) => [id, 1n])) };
    },
  });
  departments = await startFakeServer(DepartmentService, { batchGetDepartments: () => ({ departments: {} }) });
});

after(async () => {
  await slowPoint.stop();
  await departments.stop();
});

describe("deadlines", () => {
  let user: ServiceHost<UserDatabase>;
  before(async () => (user = await startUser()));
  after(() => stopAndDrop(user));

  test("a short client deadline reaches the point service shortened, and cancels its call", async () => {
    pointDelayMs = 10_000;
    seen.length = 0;
    const client = createClient(UserService, grpcTransport(user.port));
    const started = performance.now();
    await assert.rejects(client.getUserStatistics({}, { timeoutMs: 300 }), (e: ConnectError) => e.code === Code.DeadlineExceeded);
    assert.ok(performance.now() - started < 2_000, "the caller was answered at its deadline, not the upstream's");
    await sleep(100);
    assert.equal(seen.length, 1);
    const call = seen[0]!;
    assert.ok(call.timeoutMs !== undefined && call.timeoutMs > 0 && call.timeoutMs <= 300, `upstream saw ${call.timeoutMs} ms`);
    assert.ok(call.abortedAfterMs !== undefined, "the upstream call was cancelled");
  });

  test("an upstream slower than the per-call default degrades instead of failing", async () => {
    pointDelayMs = 10_000;
    const config = testConfig("user");
    const quick = await startUserService(
      {
        ...config,
        seed: true,
        upstreamTimeoutMs: 200,
        pointServiceAddr: `127.0.0.1:${slowPoint.port}`,
        departmentServiceAddr: `127.0.0.1:${departments.port}`,
      },
      silentLogger(),
    );
    try {
      const res = await createClient(UserService, grpcTransport(quick.port)).getUserStatistics({});
      assert.deepEqual(res.degraded, ["points"]);
      assert.equal(res.totalSize, 9);
    } finally {
      await stopAndDrop(quick);
    }
  });
});

describe("shutdown", () => {
  test("NOT_SERVING first, in-flight calls finish, new calls are refused", async () => {
    pointDelayMs = 400;
    const user = await startUser();
    const transport = grpcTransport(user.port);
    const health = createClient(Health, transport);
    const statuses: Status[] = [];
    const watching = (async () => {
      for await (const res of health.watch({ service: "mesh.user.v1.UserService" })) statuses.push(res.status);
    })();
    await sleep(50);
    const inFlight = createClient(UserService, transport).getUserStatistics({});
    await sleep(100);
    const stopping = stopAndDrop(user);
    const res = await inFlight;
    assert.equal(res.totalSize, 9);
    assert.deepEqual(res.degraded, []);
    await stopping;
    await watching; // the Watch stream ended with the server
    assert.deepEqual(statuses, [Status.SERVING, Status.NOT_SERVING]);
    await assert.rejects(
      createClient(UserService, grpcTransport(user.port)).getUserStatistics({}),
      (e: ConnectError) => e.code === Code.Unavailable,
    );
  });
});

describe("database unreachable", { skip: !usingPostgres && "needs a PostgreSQL server: set DATABASE_URL" }, () => {
  test("health goes NOT_SERVING, calls fail fast with UNAVAILABLE, and both recover", async () => {
    pointDelayMs = 0;
    const url = new URL(process.env.DATABASE_URL ?? "");
    const proxy = await startTcpProxy(url.hostname, Number(url.port || 5432));
    const proxied = new URL(url);
    proxied.hostname = "127.0.0.1";
    proxied.port = String(proxy.port);
    const user = await startUser({}, { url: proxied.toString() });
    const health = createClient(Health, grpcTransport(user.port));
    const client = createClient(UserService, grpcTransport(user.port));
    try {
      assert.equal((await health.check({ service: "" })).status, Status.SERVING);
      await proxy.cut();
      const started = performance.now();
      await assert.rejects(client.listUsers({}), (e: ConnectError) => e.code === Code.Unavailable);
      const failFastMs = performance.now() - started;
      assert.ok(failFastMs < 3_000, `failed after ${failFastMs} ms`);
      assert.equal(await waitForStatus(health, Status.NOT_SERVING, 5_000), true);
      await proxy.restore();
      assert.equal(await waitForStatus(health, Status.SERVING, 5_000), true);
      assert.equal((await client.listUsers({})).totalSize, 9);
      console.log(`# database cut: calls failed after ${Math.round(failFastMs)} ms`);
    } finally {
      await stopAndDrop(user);
      await proxy.close();
    }
  });
});

async function waitForStatus(health: ReturnType<typeof createClient<typeof Health>>, want: Status, withinMs: number) {
  const deadline = performance.now() + withinMs;
  while (performance.now() < deadline) {
    if ((await health.check({ service: "mesh.user.v1.UserService" })).status === want) return true;
    await sleep(100);
  }
  return false;
}
