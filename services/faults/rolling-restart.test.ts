// A rolling restart of the point service under constant GetUserStatistics
// load: two replicas, each the real point service run by its main.ts on one
// shared PostgreSQL schema, the user service calling both. Replica 1 is
// stopped with SIGTERM, started again and waited for, then replica 2. Not one
// client call may fail and not one answer may be degraded.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, test } from "node:test";
import { ConnectError, createClient } from "@connectrpc/connect";
import { DepartmentService } from "../../gen/mesh/department/v1/department_pb.js";
import { UserService } from "../../gen/mesh/user/v1/user_pb.js";
import { openDatabase } from "../platform/database.js";
import { REFERENCE_DEPARTMENTS, REFERENCE_USERS } from "../platform/reference-data.js";
import type { ServiceHost } from "../platform/service-host.js";
import { startFakeServer, type FakeServer } from "../testing/fake-server.js";
import { grpcTransport, silentLogger, stopAndDrop, testConfig, usingPostgres } from "../testing/harness.js";
import { freePort, startServiceProcess, type ServiceProcess } from "../testing/service-process.js";
import type { UserDatabase } from "../user/schema.js";
import { startUserService } from "../user/server.js";

const LOAD_CONCURRENCY = 4;
/** After a replica is SERVING again, how long before the next one goes: callers' health watches reconnect within about a second. */
const SETTLE_MS = 2_000;

const schema = `test_point_rolling_${randomBytes(4).toString("hex")}`;
let replicas: ServiceProcess[] = [];
let departments: FakeServer;
let user: ServiceHost<UserDatabase>;

function replicaEnv(port: number): Record<string, string> {
  return {
    POINT_PORT: String(port),
    POINT_HOST: "127.0.0.1",
    POINT_HTTP_PORT: "-1",
    POINT_ADMIN_PORT: "-1",
    POINT_DATABASE_URL: process.env.DATABASE_URL ?? "",
    POINT_DATABASE_SCHEMA: schema,
    SEED: "true",
    SHUTDOWN_GRACE_MS: "5000",
  };
}

before(async () => {
  if (!usingPostgres) return;
  const ports = [await freePort(), await freePort()];
  // Both start together: migrations take the Migrator's lock, the seed is idempotent.
  const started = await Promise.allSettled(ports.map((port) => startServiceProcess("point", port, replicaEnv(port))));
  replicas = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const failed = started.find((r) => r.status === "rejected");
  if (failed !== undefined) throw failed.reason;
  departments = await startFakeServer(DepartmentService, {
    batchGetDepartments(req) {
      const known = REFERENCE_DEPARTMENTS.filter((d) => req.ids.includes(d.id));
      return { departments: Object.fromEntries(known.map((d) => [d.id, { id: d.id, name: d.name }])) };
    },
  });
  user = await startUserService(
    {
      ...testConfig("user", { SEED: "true" }),
      pointServiceAddr: ports.map((port) => `127.0.0.1:${port}`).join(","),
      departmentServiceAddr: `127.0.0.1:${departments.port}`,
    },
    silentLogger(),
  );
});

after(async () => {
  if (!usingPostgres) return;
  for (const replica of replicas) await replica.stop();
  if (user !== undefined) await stopAndDrop(user);
  await departments?.stop();
  const admin = await openDatabase({ ...testConfig("point").database, schema }, silentLogger());
  await admin.dropSchema();
  await admin.close();
});

test(
  "rolling restart of two point replicas under constant GetUserStatistics load: no failed call, no degraded answer",
  { skip: !usingPostgres && "the replicas share a PostgreSQL schema: set DATABASE_URL (CI runs npm test with it)" },
  async () => {
    const client = createClient(UserService, grpcTransport(user.port));
    const expectedPoints = new Map(REFERENCE_USERS.map((u) => [u.id, BigInt(u.points)]));
    let calls = 0;
    const failures: string[] = [];
    const degraded: string[] = [];
    const wrong: string[] = [];
    let loading = true;
    const load = async () => {
      while (loading) {
        calls++;
        try {
          const res = await client.getUserStatistics({ pageSize: 9 }, { timeoutMs: 5_000 });
          if (res.degraded.length > 0) degraded.push(res.degraded.join(","));
          for (const row of res.users) {
            if (row.points !== expectedPoints.get(row.user!.id)) wrong.push(`${row.user!.name}: ${row.points}`);
          }
        } catch (err) {
          failures.push(String(ConnectError.from(err).code));
        }
      }
    };
    const loaders = Array.from({ length: LOAD_CONCURRENCY }, load);
    await sleep(1_000);

    const restarts: string[] = [];
    for (let i = 0; i < replicas.length; i++) {
      const old = replicas[i]!;
      const stopping = performance.now();
      const exitCode = await old.stop("SIGTERM");
      const stoppedMs = performance.now() - stopping;
      assert.equal(exitCode, 0, `replica ${i + 1} stopped cleanly: ${old.stderr()}`);
      const starting = performance.now();
      replicas[i] = await startServiceProcess("point", old.port, replicaEnv(old.port));
      restarts.push(`replica ${i + 1} drained in ${Math.round(stoppedMs)} ms, SERVING again ${Math.round(performance.now() - starting)} ms after starting`);
      await sleep(SETTLE_MS);
    }
    await sleep(1_000);
    loading = false;
    await Promise.all(loaders);

    console.log(`# rolling restart: ${calls} GetUserStatistics calls by ${LOAD_CONCURRENCY} callers, ${failures.length} failed, ${degraded.length} degraded, ${wrong.length} with wrong points`);
    console.log(`# rolling restart: ${restarts.join("; ")}`);
    assert.ok(calls > 100, `only ${calls} calls`);
    assert.deepEqual(failures, []);
    assert.deepEqual(degraded, []);
    assert.deepEqual(wrong, []);
  },
);
