// Integration tests of the user service: real servers on loopback ports, a real
// database, real clients over gRPC, gRPC-Web and Connect (HTTP/2 and HTTP/1.1).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { DepartmentService } from "../../gen/mesh/department/v1/department_pb.js";
import { UserService } from "../../gen/mesh/user/v1/user_pb.js";
import { REFERENCE_DEPARTMENTS } from "../platform/reference-data.js";
import type { ServiceHost } from "../platform/service-host.js";
import { startPointService } from "../point/server.js";
import { startFakeServer, type FakeServer } from "../testing/fake-server.js";
import { connectHttp1Transport, grpcTransport, silentLogger, stopAndDrop, testConfig } from "../testing/harness.js";
import { listServices, reflectionErrorCode, registryFromReflection } from "../testing/reflection-client.js";
import type { PointDatabase } from "../point/schema.js";
import type { UserDatabase } from "./schema.js";
import { startUserService } from "./server.js";

let point: ServiceHost<PointDatabase>;
let departments: FakeServer;
let user: ServiceHost<UserDatabase>;

before(async () => {
  point = await startPointService(testConfig("point", { SEED: "true" }), silentLogger());
  // The department service is another issue's; a fake with the reference names stands in.
  departments = await startFakeServer(DepartmentService, {
    batchGetDepartments(req) {
      const known = REFERENCE_DEPARTMENTS.filter((d) => req.ids.includes(d.id));
      return { departments: Object.fromEntries(known.map((d) => [d.id, { id: d.id, name: d.name }])) };
    },
  });
  user = await startUserService(
    {
      ...testConfig("user", { SEED: "true" }),
      pointServiceAddr: `127.0.0.1:${point.port}`,
      departmentServiceAddr: `127.0.0.1:${departments.port}`,
    },
    silentLogger(),
  );
});

after(async () => {
  await stopAndDrop(user);
  await stopAndDrop(point);
  await departments.stop();
});

function assertReferenceFigures(res: {
  totalSize: number;
  age?: { min: number; max: number; avg: number } | undefined;
  salary?: { min: number; max: number; avg: number } | undefined;
}) {
  assert.equal(res.totalSize, 9);
  assert.deepEqual([res.age?.max, res.age?.min, res.age?.avg], [40, 22, 31.22]);
  assert.deepEqual([res.salary?.max, res.salary?.min, res.salary?.avg], [90000, 48000, 68333.33]);
}

describe("GetUserStatistics across real services", () => {
  test("gRPC: the reference figures with points and department names on every user", async () => {
    const client = createClient(UserService, grpcTransport(user.port));
    const res = await client.getUserStatistics({ pageSize: 9 });
    assertReferenceFigures(res);
    assert.deepEqual(res.degraded, []);
    assert.equal(res.users.length, 9);
    assert.ok(res.users.every((u) => u.points !== undefined && u.departmentName !== undefined));
    assert.equal(res.users.find((u) => u.user?.name === "Diana Prince")?.points, 83n);
  });

  test("the same over Connect (HTTP/1.1 and HTTP/2, JSON) and gRPC-Web", async () => {
    const transports = [
      connectHttp1Transport(user.httpPort!),
      createConnectTransport({ baseUrl: `http://127.0.0.1:${user.port}`, httpVersion: "2", useBinaryFormat: false }),
      createConnectTransport({ baseUrl: `http://127.0.0.1:${user.port}`, httpVersion: "2", useHttpGet: true }),
      createGrpcWebTransport({ baseUrl: `http://127.0.0.1:${user.httpPort}`, httpVersion: "1.1" }),
    ];
    for (const transport of transports) {
      assertReferenceFigures(await createClient(UserService, transport).getUserStatistics({}));
    }
  });

  test("with the point service stopped: users and figures, points missing and named in degraded", async () => {
    const port = point.port;
    await point.stop();
    try {
      const client = createClient(UserService, grpcTransport(user.port));
      const res = await client.getUserStatistics({ pageSize: 9 });
      assertReferenceFigures(res);
      assert.deepEqual(res.degraded, ["points"]);
      assert.ok(res.users.every((u) => u.points === undefined && u.departmentName !== undefined));
    } finally {
      // Back on the same port and database schema (re-seeded: PGlite in memory starts empty).
      const config = testConfig("point");
      point = await startPointService(
        { ...config, seed: true, server: { ...config.server, port }, database: { ...config.database, schema: point.database.schema } },
        silentLogger(),
      );
    }
    const res = await createClient(UserService, grpcTransport(user.port)).getUserStatistics({});
    assert.deepEqual(res.degraded, []);
  });
});

describe("reflection", () => {
  const expected = [
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
    "mesh.user.v1.UserService",
  ];

  for (const version of ["v1", "v1alpha"] as const) {
    test(`${version}: lists every service and resolves every method's types`, async () => {
      const transport = grpcTransport(user.port);
      const services = await listServices(transport, version);
      assert.deepEqual(services, expected);
      const registry = await registryFromReflection(transport, version, services);
      let methods = 0;
      for (const name of services) {
        const service = registry.getService(name);
        assert.ok(service, name);
        for (const method of service.methods) {
          assert.ok(registry.getMessage(method.input.typeName), method.input.typeName);
          assert.ok(registry.getMessage(method.output.typeName), method.output.typeName);
          methods++;
        }
      }
      assert.equal(methods, 6 + 3 + 1 + 1);
      assert.equal(await reflectionErrorCode(transport, version, { case: "fileContainingSymbol", value: "no.such.Thing" }), Code.NotFound);
      assert.equal(
        await reflectionErrorCode(transport, version, { case: "fileByFilename", value: "mesh/user/v1/user.proto" }),
        undefined,
      );
      // Error detail types resolve too, so grpcurl -format-error can print field violations.
      assert.equal(
        await reflectionErrorCode(transport, version, { case: "fileContainingSymbol", value: "google.rpc.BadRequest" }),
        undefined,
      );
    });
  }
});

describe("health", () => {
  test("SERVING for the server and the service; NOT_FOUND for an unknown name; List names them all", async () => {
    const health = createClient(Health, grpcTransport(user.port));
    assert.equal((await health.check({ service: "" })).status, Status.SERVING);
    assert.equal((await health.check({ service: "mesh.user.v1.UserService" })).status, Status.SERVING);
    await assert.rejects(health.check({ service: "mesh.nope.v1.Nope" }), (e: ConnectError) => e.code === Code.NotFound);
    const { statuses } = await health.list({});
    assert.deepEqual(Object.keys(statuses).sort(), ["", "mesh.user.v1.UserService"]);
  });

  test("Watch answers SERVICE_UNKNOWN for an unknown name, then keeps the stream open", async () => {
    const health = createClient(Health, grpcTransport(user.port));
    const controller = new AbortController();
    const stream = health.watch({ service: "mesh.nope.v1.Nope" }, { signal: controller.signal });
    const first = await stream[Symbol.asyncIterator]().next();
    assert.equal(first.value?.status, Status.SERVICE_UNKNOWN);
    controller.abort();
  });
});
