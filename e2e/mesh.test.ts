// The mesh as `npm start` runs it (scripts/start.ts, four processes, a fresh
// PostgreSQL database with migrations and the reference data), driven only by
// outside clients: grpcurl, buf curl, grpc-health-probe, grpc-js (with
// grpc-health-check's client, and raw protobuf bytes) and curl.
// Every service's database URL goes through a TCP proxy of this file, so the
// last tests can make the databases unreachable without touching PostgreSQL.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, afterEach, before, describe, test } from "node:test";
import { create, fromBinary, toBinary, type DescMessage } from "@bufbuild/protobuf";
import * as beerPb from "../gen/mesh/beer/v1/beer_pb.js";
import * as departmentPb from "../gen/mesh/department/v1/department_pb.js";
import * as pointPb from "../gen/mesh/point/v1/point_pb.js";
import * as userPb from "../gen/mesh/user/v1/user_pb.js";
import { startTcpProxy, type TcpProxy } from "../services/testing/tcp-proxy.js";
import {
  allCallers,
  bufCurlCaller,
  Code,
  connectOutcome,
  curlCaller,
  curlJson,
  fails,
  grpcurlCaller,
  ok,
  type Caller,
  type HttpVersion,
  type Json,
} from "./callers.js";
import {
  checkGrpcurlFallbackToV1alpha,
  checkHealthServing,
  checkReflectionProtocolsWithBufCurl,
  checkReflectionWithGrpcurl,
  probe,
  PROBE_EXIT,
} from "./checks.js";
import { healthClient, rawClient, rawUnary, watchHealth, type RawOutcome } from "./grpc-js.js";
import { DEFAULT_DATABASE_URL, startMesh, type Mesh } from "./harness.js";
import { CONTRACT, fullMethod, REF, SERVICE_NAMES, type ServiceName } from "./mesh-facts.js";
import { describeRun, run, suiteTools, toolTimes } from "./tools.js";
import { assertItSupportReport, TOURS } from "./tours.js";

const tools = suiteTools();
if (tools !== undefined) {
  let mesh: Mesh;
  const proxies = new Map<ServiceName, TcpProxy>();
  let anyFailed = false;
  const address = (service: ServiceName) => `127.0.0.1:${mesh.endpoints[service].grpcPort}`;
  const tag = () => randomBytes(4).toString("hex");

  before(
    async () => {
      const server = new URL(process.env.E2E_DATABASE_URL || DEFAULT_DATABASE_URL);
      for (const service of SERVICE_NAMES) proxies.set(service, await startTcpProxy(server.hostname, Number(server.port || 5432)));
      mesh = await startMesh({
        databaseUrlFor(service, url) {
          const proxied = new URL(url);
          proxied.hostname = "127.0.0.1";
          proxied.port = String(proxies.get(service)!.port);
          return proxied.toString();
        },
      });
      console.log(`mesh started by scripts/start.ts in ${(mesh.startupMs / 1000).toFixed(1)} s (database ${mesh.database.name}, logs ${mesh.logPath})`);
    },
    { timeout: 240_000 },
  );

  // TestContext.passed exists at run time (Node >= 21.7) but not yet in @types/node's TestContext.
  afterEach((t) => {
    if ((t as { passed?: boolean }).passed !== true) anyFailed = true;
  });

  after(
    async () => {
      const started = performance.now();
      const exit = await mesh?.stop(anyFailed);
      for (const proxy of proxies.values()) await proxy.close();
      console.log(`tool time in mesh.test.ts:\n${toolTimes()}`);
      if (exit === undefined) return; // the mesh never started: before() has reported why
      console.log(`mesh stopped in ${((performance.now() - started) / 1000).toFixed(1)} s${anyFailed ? `; logs kept in ${mesh.logPath}` : ""}`);
      // SIGTERM to start.ts is Ctrl-C: every service drains and it exits 0.
      assert.deepEqual(exit, { code: 0, signal: null }, "start.ts stops cleanly");
    },
    { timeout: 60_000 },
  );

  describe("reflection", () => {
    for (const service of SERVICE_NAMES) {
      test(`${service}: grpcurl list and describe agree with the contract (reflection v1)`, () =>
        checkReflectionWithGrpcurl(tools, address(service), CONTRACT[service]));
      test(`${service}: buf curl lists the same methods over grpc-v1 and grpc-v1alpha`, () =>
        checkReflectionProtocolsWithBufCurl(tools, mesh.endpoints[service].grpcPort, CONTRACT[service]));
      test(`${service}: grpcurl falls back to v1alpha when v1 is refused`, () =>
        checkGrpcurlFallbackToV1alpha(tools, mesh.endpoints[service].grpcPort, CONTRACT[service]));
    }
  });

  describe("health", () => {
    for (const service of SERVICE_NAMES) {
      test(`${service}: grpc-health-probe exits 0 for "" and its name, 3 for an unknown name; grpc-js health client agrees`, () =>
        checkHealthServing(tools, address(service), CONTRACT[service].typeName));
    }
    test("a server does not claim another service: grpc-health-probe exits 3", async () => {
      for (const [at, other] of [["user", "beer"], ["beer", "point"], ["point", "department"], ["department", "user"]] as const) {
        const result = await probe(tools, address(at), CONTRACT[other].typeName);
        assert.equal(result.code, PROBE_EXIT.RPC_FAILURE, `${other} on the ${at} server: ${result.output}`);
      }
    });
  });

  describe("the reference figures", () => {
    test("grpcurl: GetUserStatistics over the whole table", async () => {
      const stats = ok(await grpcurlCaller(tools, mesh.endpoints).call("user", "GetUserStatistics", {}));
      assert.deepEqual([stats.totalSize, stats.users.length, stats.degraded ?? []], [REF.userCount, REF.userCount, []]);
      assert.deepEqual(stats.age, { min: REF.age.min, max: REF.age.max, avg: REF.age.avg });
      assert.deepEqual(stats.salary, { min: REF.salary.min, max: REF.salary.max, avg: REF.salary.avg });
      const george = stats.users.find((r: Json) => r.user.id === REF.users.george);
      assert.deepEqual([george.user.name, george.user.age, george.user.salary, george.points, george.departmentName], [
        "George Costanza",
        40,
        90000,
        "93",
        "IT Support",
      ]);
      const totalPoints = stats.users.reduce((sum: number, r: Json) => sum + Number(r.points), 0);
      assert.equal(totalPoints, 402, "points of every user, joined from the point service");
    });

    test("grpcurl: the IT Support report", async () => {
      assertItSupportReport(ok(await grpcurlCaller(tools, mesh.endpoints).call("department", "GetDepartmentReport", { id: REF.departments.itSupport })));
    });

    test("grpcurl: the top users and the seeded beers", async () => {
      const c = grpcurlCaller(tools, mesh.endpoints);
      const top = ok(await c.call("point", "ListTopUsers", { limit: 3 }));
      assert.deepEqual(
        top.users.map((u: Json) => [u.userId, u.points]),
        REF.topUsers.map((t) => [...t]),
      );
      const beers = ok(await c.call("beer", "ListBeers", { order_by: "name asc" }));
      assert.deepEqual([beers.beers.map((b: Json) => b.name), beers.totalSize], [REF.beers.namesAscending, REF.beers.namesAscending.length]);
    });
  });

  // Every RPC of every service with -d JSON, over each tool, each walking
  // create -> get -> list -> update -> delete and the error codes. The
  // methods each tool called are recorded, to check none was left out.
  const CALLERS = [
    "grpcurl",
    "buf curl --protocol grpc",
    "buf curl --protocol grpcweb",
    "buf curl --protocol connect",
    "curl Connect JSON over HTTP/1.1",
    "curl Connect JSON over h2c",
  ];
  const called = new Map<string, Set<string>>(CALLERS.map((name) => [name, new Set()]));
  const recording = (name: string): Caller => {
    // Tours write: their callers carry the suite's token (reads are open, so it changes nothing for them).
    const c = allCallers(tools, mesh.endpoints, mesh.token).find((x) => x.name === name)!;
    const seen = called.get(name)!;
    return {
      ...c,
      call(service, method, request) {
        seen.add(fullMethod(service, method));
        return c.call(service, method, request);
      },
      openStream:
        c.openStream &&
        ((service, method, request) => {
          seen.add(fullMethod(service, method));
          return c.openStream!(service, method, request);
        }),
    };
  };
  for (const caller of CALLERS) {
    describe(`every RPC with JSON: ${caller}`, { concurrency: true }, () => {
      for (const service of SERVICE_NAMES) {
        test(`${service}: create -> get -> list -> update -> delete, codes and details${service === "beer" && !caller.startsWith("curl") ? ", WatchBeerEvents" : ""}`, () =>
          TOURS[service](recording(caller), tag()));
      }
    });
  }
  test("every method of the contract was called through every tool (curl: every unary one)", () => {
    for (const [caller, seen] of called) {
      const expected = SERVICE_NAMES.flatMap((s) =>
        CONTRACT[s].methods.filter((m) => !caller.startsWith("curl") || m.methodKind === "unary").map((m) => fullMethod(s, m.name)),
      );
      assert.deepEqual(expected.filter((m) => !seen.has(m)), [], `methods ${caller} never called`);
    }
  });

  describe("a beer watch sees writes made by other clients", () => {
    test("grpcurl and buf curl (gRPC-Web) watch while curl adds, buf curl renames and grpc-js removes", async () => {
      const watchers = [grpcurlCaller(tools, mesh.endpoints), bufCurlCaller(tools, mesh.endpoints, "grpcweb")].map((c) =>
        c.openStream!("beer", "WatchBeerEvents", {}),
      );
      try {
        // Both streams are open and reading before the writes.
        for (const w of watchers) await w.waitFor((ms) => ms.length >= 1, 20_000);
        const name = `Watched ${tag()}`;
        const added = ok(await curlCaller(tools, mesh.endpoints, "1.1", mesh.token).call("beer", "AddBeer", { name, style: "Porter" })).beer;
        ok(await bufCurlCaller(tools, mesh.endpoints, "connect", mesh.token).call("beer", "RenameBeer", { id: added.id, name: `${name} II` }));
        const client = rawClient(address("beer"), mesh.token);
        try {
          const removed = await rawUnary(
            client,
            `/${fullMethod("beer", "RemoveBeer")}`,
            toBinary(beerPb.RemoveBeerRequestSchema, create(beerPb.RemoveBeerRequestSchema, { id: added.id })),
          );
          assert.ok(removed.ok, "grpc-js RemoveBeer");
          assert.equal(fromBinary(beerPb.RemoveBeerResponseSchema, removed.bytes).beer?.name, `${name} II`);
        } finally {
          client.close();
        }
        for (const w of watchers) {
          const events = await w.waitFor((ms) => ms.some((m) => m.event.beer.id === added.id && m.event.type === "BEER_EVENT_TYPE_REMOVED"), 20_000);
          assert.deepEqual(
            events.filter((m) => m.event.beer.id === added.id).map((m) => [m.event.type, m.event.beer.name]),
            [
              ["BEER_EVENT_TYPE_ADDED", name],
              ["BEER_EVENT_TYPE_RENAMED", `${name} II`],
              ["BEER_EVENT_TYPE_REMOVED", `${name} II`],
            ],
          );
        }
      } finally {
        for (const w of watchers) await w.stop();
      }
    });
  });

  describe("grpc-js: unary calls with protobuf bytes", () => {
    interface RawCase {
      readonly method: string;
      readonly request: [DescMessage, Json];
      readonly response: DescMessage;
      readonly check: (message: Json) => void;
      /** A request with a bad field, and the field the BadRequest must name. */
      readonly invalid: [Json, string];
      /** A request for an unknown id, and the ErrorInfo reason (services with lookups by id). */
      readonly missing?: [Json, string];
    }
    const cases: Record<ServiceName, RawCase> = {
      user: {
        method: "GetUser",
        request: [userPb.GetUserRequestSchema, { id: REF.users.george }],
        response: userPb.GetUserResponseSchema,
        check: (m) => assert.deepEqual([m.user.name, m.user.age, m.user.salary, m.user.departmentId], ["George Costanza", 40, 90000, REF.departments.itSupport]),
        invalid: [{ id: "george" }, "id"],
        missing: [{ id: randomUUID() }, "USER_NOT_FOUND"],
      },
      point: {
        method: "GetUserPoints",
        request: [pointPb.GetUserPointsRequestSchema, { userId: REF.users.george }],
        response: pointPb.GetUserPointsResponseSchema,
        check: (m) => assert.deepEqual([m.userId, m.points], [REF.users.george, 93n]),
        invalid: [{ userId: "george" }, "user_id"],
      },
      department: {
        method: "GetDepartment",
        request: [departmentPb.GetDepartmentRequestSchema, { id: REF.departments.itSupport }],
        response: departmentPb.GetDepartmentResponseSchema,
        check: (m) => assert.deepEqual([m.department.name, m.department.address, m.department.city], ["IT Support", "789 Oak St", "Springfield"]),
        invalid: [{ id: "it" }, "id"],
        missing: [{ id: randomUUID() }, "DEPARTMENT_NOT_FOUND"],
      },
      beer: {
        method: "GetBeer",
        request: [beerPb.GetBeerRequestSchema, { id: REF.beers.duff }],
        response: beerPb.GetBeerResponseSchema,
        check: (m) => assert.deepEqual([m.beer.name, m.beer.style, m.beer.abv], ["Duff", "Lager", 4.5]),
        invalid: [{ id: "duff" }, "id"],
        missing: [{ id: randomUUID() }, "BEER_NOT_FOUND"],
      },
    };
    for (const service of SERVICE_NAMES) {
      test(`${service}: ${cases[service].method} answers, and its errors carry codes and google.rpc details`, async () => {
        const { method, request, response, check, invalid, missing } = cases[service];
        const [schema, init] = request;
        const client = rawClient(address(service));
        const call = (value: Json): Promise<RawOutcome> => rawUnary(client, `/${fullMethod(service, method)}`, toBinary(schema, create(schema, value)));
        try {
          const answer = await call(init);
          assert.ok(answer.ok, `grpc-js ${method}: ${JSON.stringify(answer)}`);
          check(fromBinary(response, answer.bytes));

          const bad = await call(invalid[0]);
          assert.ok(!bad.ok);
          assert.equal(bad.code, Code.INVALID_ARGUMENT);
          assert.deepEqual(bad.details.find((d) => d.type === "google.rpc.BadRequest")?.fields, [invalid[1]]);

          if (missing !== undefined) {
            const gone = await call(missing[0]);
            assert.ok(!gone.ok);
            assert.equal(gone.code, Code.NOT_FOUND);
            assert.equal(gone.details.find((d) => d.type === "google.rpc.ErrorInfo")?.reason, missing[1]);
          }
        } finally {
          client.close();
        }
      });
    }
  });

  describe("curl: Connect GET for NO_SIDE_EFFECTS methods", () => {
    const get = async (version: HttpVersion, service: ServiceName, method: string, message: Json) => {
      const port = version === "1.1" ? mesh.endpoints[service].httpPort : mesh.endpoints[service].grpcPort;
      const query = new URLSearchParams({ connect: "v1", encoding: "json", message: JSON.stringify(message) });
      return curlJson(tools, version, [`http://127.0.0.1:${port}/${fullMethod(service, method)}?${query}`]);
    };
    const reads: Record<ServiceName, Array<[method: string, message: Json, check: (m: Json) => void]>> = {
      user: [
        ["GetUser", { id: REF.users.george }, (m) => assert.equal(m.user.name, "George Costanza")],
        [
          "ListUsers",
          { department_id: REF.departments.itSupport, order_by: "age desc" },
          (m) => assert.deepEqual([m.users.map((u: Json) => u.id), m.totalSize], [[REF.users.george, REF.users.ian, REF.users.hannah], 3]),
        ],
        [
          "GetUserStatistics",
          { department_id: REF.departments.itSupport },
          (m) => assert.deepEqual([m.totalSize, m.age, m.salary], [3, REF.itSupport.age, REF.itSupport.salary]),
        ],
      ],
      point: [
        ["GetUserPoints", { user_id: REF.users.george }, (m) => assert.equal(m.points, "93")],
        ["BatchGetUserPoints", { user_ids: [REF.users.george, REF.users.hannah] }, (m) => assert.deepEqual(m.points, { [REF.users.george]: "93", [REF.users.hannah]: "13" })],
        ["ListTopUsers", { limit: 1 }, (m) => assert.deepEqual(m.users, [{ userId: REF.users.george, points: "93" }])],
      ],
      department: [
        ["GetDepartment", { id: REF.departments.itSupport }, (m) => assert.equal(m.department.name, "IT Support")],
        ["ListDepartments", { order_by: "name asc" }, (m) => assert.deepEqual(m.departments.map((d: Json) => d.name), ["Finance", "Human Resources", "IT Support"])],
        ["BatchGetDepartments", { ids: [REF.departments.hr] }, (m) => assert.equal(m.departments[REF.departments.hr].name, "Human Resources")],
        ["GetDepartmentReport", { id: REF.departments.itSupport }, assertItSupportReport],
      ],
      beer: [
        ["GetBeer", { id: REF.beers.duff }, (m) => assert.deepEqual([m.beer.name, m.beer.abv], ["Duff", 4.5])],
        ["ListBeers", { order_by: "name asc" }, (m) => assert.deepEqual(m.beers.map((b: Json) => b.name), REF.beers.namesAscending)],
      ],
    };
    const writes: Record<ServiceName, string> = { user: "CreateUser", point: "AddPoints", department: "CreateDepartment", beer: "AddBeer" };
    for (const service of SERVICE_NAMES) {
      for (const version of ["1.1", "h2c"] as const) {
        test(`${service} over ${version === "1.1" ? "HTTP/1.1" : "h2c"}: GET answers reads, 405 for a write, Connect errors`, async () => {
          for (const [method, message, check] of reads[service]) {
            const response = await get(version, service, method, message);
            assert.equal(response.status, 200, `GET ${method}: ${response.body}`);
            check(JSON.parse(response.body));
          }
          const write = await get(version, service, writes[service], {});
          assert.equal(write.status, 405, `GET ${writes[service]} (has side effects): ${write.body}`);
          const [method, message] = reads[service][0]!;
          const badId = Object.fromEntries(Object.keys(message).map((k) => [k, "nope"]));
          fails(connectOutcome(await get(version, service, method, badId)), Code.INVALID_ARGUMENT, { fields: Object.keys(message) });
        });
      }
    }
  });

  describe("gRPC-Web over HTTP/1.1: buf curl on the HTTP/1.1 port", () => {
    // Reflection is a bidi stream and needs HTTP/2, so on the HTTP/1.1 port the
    // schema comes from the buf module (proto/) instead.
    const reads: Record<ServiceName, [string, Json, (m: Json) => void]> = {
      user: ["GetUser", { id: REF.users.george }, (m) => assert.equal(m.user.name, "George Costanza")],
      point: ["GetUserPoints", { user_id: REF.users.george }, (m) => assert.equal(m.points, "93")],
      department: ["GetDepartmentReport", { id: REF.departments.itSupport }, assertItSupportReport],
      beer: ["GetBeer", { id: REF.beers.duff }, (m) => assert.equal(m.beer.name, "Duff")],
    };
    for (const service of SERVICE_NAMES) {
      test(`${service}: ${reads[service][0]}`, async () => {
        const [method, message, check] = reads[service];
        const url = `http://127.0.0.1:${mesh.endpoints[service].httpPort}/${fullMethod(service, method)}`;
        const result = await run(tools.buf, ["curl", "--protocol", "grpcweb", "--schema", ".", "-v", "-d", JSON.stringify(message), url]);
        assert.equal(result.code, 0, describeRun(result));
        assert.match(result.stderr, /HTTP\/1\.1 200/, "answered over HTTP/1.1");
        check(JSON.parse(result.stdout));
      });
    }
  });

  describe("while the databases are unreachable", () => {
    const probeCode = async (service: ServiceName, name: string) => (await probe(tools, address(service), name)).code;
    const until = async (what: string, condition: () => Promise<boolean>, ms: number) => {
      const deadline = Date.now() + ms;
      while (!(await condition())) {
        assert.ok(Date.now() < deadline, `${what} within ${ms} ms`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    const reads: Record<ServiceName, [string, Json]> = {
      user: ["GetUser", { id: REF.users.george }],
      point: ["GetUserPoints", { user_id: REF.users.george }],
      department: ["GetDepartment", { id: REF.departments.itSupport }],
      beer: ["GetBeer", { id: REF.beers.duff }],
    };

    test("grpc-health-probe exits 4 (NOT_SERVING) for every service, calls fail with UNAVAILABLE, and both recover", async () => {
      const clients = SERVICE_NAMES.map((s) => healthClient(address(s)));
      const watches = clients.map((c) => watchHealth(c, ""));
      try {
        await Promise.all(watches.map((w) => w.waitFor("SERVING", 10_000)));
        const grpcurl: Caller = grpcurlCaller(tools, mesh.endpoints);
        const cutAt = performance.now();
        for (const proxy of proxies.values()) await proxy.cut();
        await Promise.all(
          SERVICE_NAMES.map((service) => until(`${service} probe exits 4`, async () => (await probeCode(service, "")) === PROBE_EXIT.UNHEALTHY, 15_000)),
        );
        console.log(`every service NOT_SERVING ${((performance.now() - cutAt) / 1000).toFixed(1)} s after the cut`);
        for (const service of SERVICE_NAMES) {
          assert.equal(await probeCode(service, CONTRACT[service].typeName), PROBE_EXIT.UNHEALTHY, `${service} by name`);
          const [method, request] = reads[service];
          fails(await grpcurl.call(service, method, request), Code.UNAVAILABLE);
        }
        await Promise.all(watches.map((w) => w.waitFor("NOT_SERVING", 5_000)));

        const restoredAt = performance.now();
        for (const proxy of proxies.values()) await proxy.restore();
        await Promise.all(
          SERVICE_NAMES.map((service) => until(`${service} probe exits 0`, async () => (await probeCode(service, "")) === PROBE_EXIT.SERVING, 15_000)),
        );
        console.log(`every service SERVING again ${((performance.now() - restoredAt) / 1000).toFixed(1)} s after the restore`);
        for (const service of SERVICE_NAMES) {
          const [method, request] = reads[service];
          ok(await grpcurl.call(service, method, request));
        }
        // Watchers heard the whole story, in order.
        for (const w of watches) assert.deepEqual(w.statuses, ["SERVING", "NOT_SERVING", "SERVING"]);
      } finally {
        for (const w of watches) w.cancel();
        for (const c of clients) c.close();
      }
    });
  });
}
