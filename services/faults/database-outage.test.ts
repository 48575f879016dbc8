// The database goes away while writers write without pause: a TCP proxy in
// front of PostgreSQL is cut (connections reset, new ones refused, as when the
// server stops) and restored. Calls must fail fast with UNAVAILABLE, readiness
// must follow the database both ways within 5 s, and every write the service
// acknowledged must be there afterwards; failed writes retried under their
// request ids must each be written exactly once.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, test } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { DepartmentService } from "../../gen/mesh/department/v1/department_pb.js";
import { PointService } from "../../gen/mesh/point/v1/point_pb.js";
import { UserService } from "../../gen/mesh/user/v1/user_pb.js";
import type { ServiceHost } from "../platform/service-host.js";
import { startFakeServer, type FakeServer } from "../testing/fake-server.js";
import { grpcTransport, silentLogger, stopAndDrop, testConfig, usingPostgres } from "../testing/harness.js";
import { startTcpProxy, type TcpProxy } from "../testing/tcp-proxy.js";
import type { UserDatabase } from "../user/schema.js";
import { startUserService } from "../user/server.js";

const WRITERS = 4;

interface Write {
  readonly requestId: string;
  readonly email: string;
  readonly startedAt: number;
  endedAt: number;
  code: Code | "OK";
  id?: string;
}

let proxy: TcpProxy;
let proxyCut = false;
let fakes: FakeServer[] = [];
let user: ServiceHost<UserDatabase>;

before(async () => {
  if (!usingPostgres) return;
  const url = new URL(process.env.DATABASE_URL!);
  proxy = await startTcpProxy(url.hostname, Number(url.port || 5432));
  const proxied = new URL(url);
  proxied.hostname = "127.0.0.1";
  proxied.port = String(proxy.port);
  fakes = [await startFakeServer(PointService, {}), await startFakeServer(DepartmentService, {})];
  const config = testConfig("user");
  user = await startUserService(
    {
      ...config,
      database: { ...config.database, url: proxied.toString() },
      pointServiceAddr: `127.0.0.1:${fakes[0]!.port}`,
      departmentServiceAddr: `127.0.0.1:${fakes[1]!.port}`,
    },
    silentLogger(),
  );
});

after(async () => {
  if (!usingPostgres) return;
  if (proxyCut) await proxy.restore(); // a failed test may have left it cut
  await stopAndDrop(user);
  await proxy.close();
  for (const fake of fakes) await fake.stop();
});

test(
  "database stopped mid-run under constant writes: UNAVAILABLE within 1 s, NOT_SERVING then SERVING within 5 s, no acknowledged write lost",
  { skip: !usingPostgres && "needs a PostgreSQL server to cut: set DATABASE_URL (CI runs npm test with it)" },
  async () => {
    const transport = grpcTransport(user.port);
    const users = createClient(UserService, transport);
    const health = createClient(Health, transport);
    const status = async () => (await health.check({ service: "mesh.user.v1.UserService" })).status;
    const writes: Write[] = [];
    let writing = true;
    const writer = async (w: number) => {
      for (let n = 0; writing; n++) {
        const write: Write = { requestId: `outage-${w}-${n}`, email: `outage-${w}-${n}@example.com`, startedAt: performance.now(), endedAt: 0, code: "OK" };
        writes.push(write);
        try {
          // A deadline well past 1 s: a call that hangs shows as slow, not as DEADLINE_EXCEEDED at 1 s.
          const res = await users.createUser({ name: `Writer ${w}`, email: write.email, age: 30, salary: 1000, requestId: write.requestId }, { timeoutMs: 10_000 });
          write.id = res.user!.id;
        } catch (err) {
          write.code = ConnectError.from(err).code;
          await sleep(20);
        } finally {
          write.endedAt = performance.now();
        }
      }
    };
    const waitFor = async (want: Status, withinMs: number) => {
      const started = performance.now();
      while (performance.now() - started < withinMs) {
        if ((await status()) === want) return performance.now() - started;
        await sleep(50);
      }
      return Infinity;
    };

    assert.equal(await status(), Status.SERVING);
    const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
    await sleep(1_000);

    const cutAt = performance.now();
    await proxy.cut();
    proxyCut = true;
    const notServingMs = await waitFor(Status.NOT_SERVING, 5_000);
    await sleep(1_000);
    const restoredAt = performance.now();
    await proxy.restore();
    proxyCut = false;
    const servingMs = await waitFor(Status.SERVING, 5_000);
    while (!writes.some((w) => w.startedAt > restoredAt && w.code === "OK") && performance.now() - restoredAt < 5_000) await sleep(10);
    await sleep(1_000);
    writing = false;
    await Promise.all(writers);

    const acknowledged = writes.filter((w) => w.code === "OK");
    const failed = writes.filter((w) => w.code !== "OK");
    const firstFailure = Math.min(...failed.map((w) => w.endedAt)) - cutAt;
    const slowestFailure = Math.max(...failed.map((w) => w.endedAt - w.startedAt));
    const firstWriteBack = Math.min(...acknowledged.filter((w) => w.startedAt > restoredAt).map((w) => w.endedAt)) - restoredAt;
    const codes = [...new Set(failed.map((w) => Code[w.code as Code]))];

    // Every acknowledged write is there, as acknowledged.
    const stored = new Map<string, string>();
    for (let pageToken = "", first = true; first || pageToken !== ""; first = false) {
      const page = await users.listUsers({ pageSize: 1000, orderBy: "email", pageToken });
      for (const u of page.users) stored.set(u.email, u.id);
      pageToken = page.nextPageToken;
    }
    const missing = acknowledged.filter((w) => stored.get(w.email) !== w.id);
    // Failed writes retried under their request ids: one row each, the same row when the first attempt had committed.
    let committedUnacknowledged = 0;
    for (const w of failed) {
      const res = await users.createUser({ name: `Writer ${w.requestId.split("-")[1]}`, email: w.email, age: 30, salary: 1000, requestId: w.requestId });
      if (stored.has(w.email)) {
        committedUnacknowledged++;
        assert.equal(res.user!.id, stored.get(w.email), `${w.requestId}: the retry answered with the row already written`);
      }
    }
    const total = (await users.listUsers({})).totalSize;

    console.log(
      `# database outage: ${writes.length} writes by ${WRITERS} writers, ${acknowledged.length} acknowledged, ${failed.length} failed (${codes.join(", ")}) while the database was away`,
    );
    console.log(
      `# database outage: first UNAVAILABLE ${Math.round(firstFailure)} ms after the cut, slowest failed call ${Math.round(slowestFailure)} ms; ` +
        `NOT_SERVING after ${Math.round(notServingMs)} ms; SERVING ${Math.round(servingMs)} ms after the database returned, first write acknowledged after ${Math.round(firstWriteBack)} ms`,
    );
    console.log(
      `# database outage: ${acknowledged.length - missing.length} of ${acknowledged.length} acknowledged writes read back; ${failed.length} failed writes retried by request id, ` +
        `${committedUnacknowledged} of them had committed unacknowledged and were answered with their row; ${total} rows for ${writes.length} distinct writes`,
    );

    assert.ok(failed.length > 0, "the outage failed some writes");
    assert.deepEqual(codes, ["Unavailable"]);
    assert.ok(firstFailure < 1_000, `first failure ${firstFailure} ms after the cut`);
    assert.ok(slowestFailure < 1_000, `a failed call took ${slowestFailure} ms`);
    assert.ok(notServingMs <= 5_000, "NOT_SERVING within 5 s");
    assert.ok(servingMs <= 5_000, "SERVING within 5 s of the database returning");
    assert.ok(firstWriteBack <= 5_000, "writes succeed again within 5 s");
    assert.deepEqual(missing, [], "no acknowledged write is lost");
    assert.equal(total, writes.length, "each write, retried or not, made exactly one row");
  },
);
