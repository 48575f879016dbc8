// Stopping and restarting services under outside clients. These tests need to
// stop ONE service and start it again, which start.ts does not allow (when a
// service exits it stops the whole mesh), so here the four services are
// started as separate processes one by one, with the environment start.ts
// gives them (harness.ts startServices); the rest of the suite runs on start.ts.
// They run from the bundles the image runs (scripts/bundle.ts, `node
// dist/<service>.cjs`), so this suite is also the proof that the bundles work.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, afterEach, before, describe, test } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import * as beerPb from "../gen/mesh/beer/v1/beer_pb.js";
import * as departmentPb from "../gen/mesh/department/v1/department_pb.js";
import * as pointPb from "../gen/mesh/point/v1/point_pb.js";
import * as userPb from "../gen/mesh/user/v1/user_pb.js";
import { Code, grpcurlCaller, ok, type Json } from "./callers.js";
import { probe, PROBE_EXIT } from "./checks.js";
import { healthClient, holdReflectionStream, rawClient, rawUnary, waitServing, watchHealth, type grpc } from "./grpc-js.js";
import { startServices, type ServiceSet } from "./harness.js";
import { fullMethod, REF, SERVICE_NAMES, type ServiceName } from "./mesh-facts.js";
import { bundle, tempBundleDir } from "../scripts/bundle.js";
import { describeRun, run, spawnLive, suiteTools, toolTimes } from "./tools.js";
import { assertItSupportReport } from "./tours.js";

const READY_MS = 180_000;

const tools = suiteTools();
if (tools !== undefined) {
  let mesh: ServiceSet;
  let anyFailed = false;
  let bundleDir: string | undefined;
  const address = (service: ServiceName) => `127.0.0.1:${mesh.endpoints[service].grpcPort}`;
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

  before(
    async () => {
      bundleDir = tempBundleDir("e2e-bundle");
      await bundle(bundleDir, SERVICE_NAMES);
      const started = performance.now();
      mesh = await startServices({ bundleDir });
      try {
        await Promise.all(SERVICE_NAMES.map((s) => waitServing(address(s), READY_MS)));
      } catch (err) {
        throw new Error(`${(err as Error).message}\nlogs: ${mesh.logPath}\n${mesh.logTail()}`);
      }
      console.log(`four service processes (bundles) SERVING in ${seconds(performance.now() - started)} (database ${mesh.database.name}, logs ${mesh.logPath})`);
    },
    { timeout: READY_MS + 60_000 },
  );

  afterEach((t) => {
    if ((t as { passed?: boolean }).passed !== true) anyFailed = true;
  });

  after(
    async () => {
      await mesh?.stop(anyFailed);
      if (bundleDir !== undefined) rmSync(bundleDir, { recursive: true, force: true });
      if (anyFailed) console.log(`logs kept in ${mesh?.logPath}`);
      console.log(`tool time in lifecycle.test.ts:\n${toolTimes()}`);
    },
    { timeout: 60_000 },
  );

  describe("statistics with the point service stopped, and after it is back", () => {
    test("GetUserStatistics and GetDepartmentReport answer degraded ['points'], then complete once point restarts", async () => {
      const grpcurl = grpcurlCaller(tools, mesh.endpoints);
      const itStats = () => grpcurl.call("user", "GetUserStatistics", { department_id: REF.departments.itSupport, order_by: "age desc" });
      const complete = ok(await itStats());
      assert.deepEqual(complete.users.map((r: Json) => r.points), ["93", "73", "13"]);

      mesh.signal("point", "SIGTERM");
      assert.deepEqual(await mesh.process("point").exit, { code: 0, signal: null }, "point drains and exits 0");
      assert.equal((await probe(tools, address("point"), "", "1s")).code, PROBE_EXIT.CONNECTION_FAILURE, "nothing listens on the point port");

      const degraded = ok(await itStats());
      assert.deepEqual(degraded.degraded, ["points"]);
      assert.deepEqual(
        degraded.users.map((r: Json) => [r.user.id, r.points, r.departmentName]),
        [
          [REF.users.george, undefined, "IT Support"],
          [REF.users.ian, undefined, "IT Support"],
          [REF.users.hannah, undefined, "IT Support"],
        ],
        "rows without points, still with department names",
      );
      assert.deepEqual([degraded.totalSize, degraded.age, degraded.salary], [3, REF.itSupport.age, REF.itSupport.salary], "figures from the user database");

      const report = ok(await grpcurl.call("department", "GetDepartmentReport", { id: REF.departments.itSupport }));
      assert.deepEqual(report.degraded, ["points"]);
      assert.deepEqual([report.headcount, report.totalPoints, report.age], [REF.itSupport.headcount, undefined, REF.itSupport.age]);

      // A peer being down does not make its callers unhealthy.
      for (const service of ["user", "department"] as const) {
        assert.equal((await probe(tools, address(service))).code, PROBE_EXIT.SERVING, `${service} stays SERVING`);
      }

      const restarted = performance.now();
      mesh.spawn("point");
      await waitServing(address("point"), READY_MS);
      const serving = performance.now();
      let answer = ok(await itStats());
      while ((answer.degraded ?? []).length > 0) {
        assert.ok(performance.now() - serving < 15_000, `still degraded 15 s after point was SERVING again: ${JSON.stringify(answer.degraded)}`);
        await new Promise((r) => setTimeout(r, 250));
        answer = ok(await itStats());
      }
      console.log(
        `point restarted: SERVING after ${seconds(serving - restarted)}, statistics complete ${seconds(performance.now() - serving)} later`,
      );
      assert.deepEqual(answer.users.map((r: Json) => r.points), ["93", "73", "13"]);
      assertItSupportReport(ok(await grpcurl.call("department", "GetDepartmentReport", { id: REF.departments.itSupport })));
    });
  });

  describe("SIGTERM of a service while calls run", () => {
    // A read of each service, as protobuf bytes, for grpc-js to repeat.
    const reads: Record<ServiceName, [string, Uint8Array]> = {
      user: ["GetUser", toBinary(userPb.GetUserRequestSchema, create(userPb.GetUserRequestSchema, { id: REF.users.george }))],
      point: ["GetUserPoints", toBinary(pointPb.GetUserPointsRequestSchema, create(pointPb.GetUserPointsRequestSchema, { userId: REF.users.george }))],
      department: [
        "GetDepartment",
        toBinary(departmentPb.GetDepartmentRequestSchema, create(departmentPb.GetDepartmentRequestSchema, { id: REF.departments.itSupport })),
      ],
      beer: ["GetBeer", toBinary(beerPb.GetBeerRequestSchema, create(beerPb.GetBeerRequestSchema, { id: REF.beers.duff }))],
    };

    for (const service of SERVICE_NAMES) {
      test(`${service}: in-flight calls finish, watchers see NOT_SERVING, the probe fails, new calls get UNAVAILABLE only`, async () => {
        const [method, request] = reads[service];
        const path = `/${fullMethod(service, method)}`;
        const outcomes: Array<{ code: number; at: number }> = [];
        let loading = true;
        // Calls on one long-lived connection (it gets GOAWAY), and calls on a new connection each.
        const shared = rawClient(address(service));
        const loop = async (client: () => grpc.Client, closeEach: boolean) => {
          while (loading) {
            const c = client();
            const answer = await rawUnary(c, path, request, 5_000);
            outcomes.push({ code: answer.ok ? Code.OK : answer.code, at: performance.now() });
            if (closeEach) c.close();
            // Failures come back at once: do not spin on two shared cores.
            if (!answer.ok) await new Promise((r) => setTimeout(r, 20));
          }
        };
        const health = healthClient(address(service));
        const watch = watchHealth(health, "");
        const reflectionClient = rawClient(address(service));
        const held = holdReflectionStream(reflectionClient);
        const beerWatch = service === "beer" ? spawnLive(tools.grpcurl, ["-plaintext", "-d", "{}", address("beer"), fullMethod("beer", "WatchBeerEvents")]) : undefined;
        const loops = [1, 2, 3, 4].map(() => loop(() => shared, false)).concat(loop(() => rawClient(address(service)), true));
        try {
          await watch.waitFor("SERVING", 10_000);
          assert.ok((await held.listServices(10_000)).length > 0, "the held reflection stream answers");
          await beerWatch?.waitFor((out) => out.includes("BEER_EVENT_TYPE_ADDED"), 20_000);
          while (outcomes.filter((o) => o.code === Code.OK).length < 20) await new Promise((r) => setTimeout(r, 20));

          const sigterm = performance.now();
          mesh.signal(service, "SIGTERM");
          let exitedAt: number | undefined;
          const exit = mesh.process(service).exit.then((e) => {
            exitedAt = performance.now();
            return e;
          });

          await watch.waitFor("NOT_SERVING", 5_000);
          assert.equal(await watch.ended, Code.OK, "the health Watch stream ends cleanly at shutdown");
          const probed = await probe(tools, address(service), "", "1s");
          assert.equal(probed.code, PROBE_EXIT.CONNECTION_FAILURE, `grpc-health-probe during the drain: ${probed.output}`);
          if (beerWatch !== undefined) {
            const ended = await beerWatch.ended;
            assert.equal(ended.code, 0, `WatchBeerEvents ends with OK at shutdown: ${describeRun(ended)}`);
          }

          // The in-flight call still works during the drain, and holds the process open.
          assert.ok((await held.listServices(5_000)).length > 0, "the held stream answers after SIGTERM");
          await new Promise((r) => setTimeout(r, 500));
          assert.equal(exitedAt, undefined, "the process waits for the in-flight call");
          const finishing = performance.now();
          assert.equal(await held.finish(), Code.OK, "the in-flight call completes with OK");
          assert.deepEqual(await exit, { code: 0, signal: null }, "the service exits 0 once drained");
          assert.ok(exitedAt! - finishing < 5_000, `exit ${seconds(exitedAt! - finishing)} after the last call, well inside SHUTDOWN_GRACE_MS`);

          await new Promise((r) => setTimeout(r, 300));
          loading = false;
          await Promise.all(loops);
          const codes = new Set(outcomes.map((o) => o.code));
          assert.deepEqual(
            [...codes].filter((c) => c !== Code.OK && c !== Code.UNAVAILABLE),
            [],
            `only OK and UNAVAILABLE, got ${JSON.stringify(outcomes.reduce<Record<number, number>>((n, o) => ({ ...n, [o.code]: (n[o.code] ?? 0) + 1 }), {}))}`,
          );
          assert.ok(outcomes.some((o) => o.at > exitedAt! && o.code === Code.UNAVAILABLE), "calls after the exit got UNAVAILABLE");
          console.log(
            `${service}: ${outcomes.filter((o) => o.at < sigterm && o.code === Code.OK).length} OK before SIGTERM, ` +
              `${outcomes.filter((o) => o.at >= sigterm && o.code === Code.OK).length} OK and ` +
              `${outcomes.filter((o) => o.code === Code.UNAVAILABLE).length} UNAVAILABLE after; exit ${seconds(exitedAt! - sigterm)} after SIGTERM`,
          );

          // New calls from outside tools: UNAVAILABLE too.
          const fresh = rawClient(address(service));
          const late = await rawUnary(fresh, path, request);
          fresh.close();
          assert.deepEqual(late.ok ? "OK" : late.code, Code.UNAVAILABLE, "grpc-js on a new connection");
          const buf = await run(tools.buf, [
            "curl",
            "--http2-prior-knowledge",
            "--protocol",
            "grpc",
            "--schema",
            ".",
            "-d",
            "{}",
            `http://127.0.0.1:${mesh.endpoints[service].grpcPort}${path}`,
          ]);
          assert.equal(buf.code, Code.UNAVAILABLE * 8, `buf curl exits 8 x UNAVAILABLE: ${describeRun(buf)}`);
        } finally {
          loading = false;
          await Promise.all(loops);
          watch.cancel();
          health.close();
          shared.close();
          reflectionClient.close();
          await beerWatch?.stop();
        }
      });
    }
  });
}
