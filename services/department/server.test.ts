// Integration tests with real servers on loopback: the department service
// reports on the seeded reference data served by real user and point services,
// then degrades as those services are stopped one by one.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { DepartmentService } from "../../gen/mesh/department/v1/department_pb.js";
import type { PointDatabase } from "../point/schema.js";
import { startPointService } from "../point/server.js";
import type { ServiceHost } from "../platform/service-host.js";
import { REFERENCE_DEPARTMENTS } from "../platform/reference-data.js";
import { grpcClient, silentLogger, stopAndDrop, testConfig } from "../testing/harness.js";
import type { UserDatabase } from "../user/schema.js";
import { startUserService } from "../user/server.js";
import type { DepartmentDatabase } from "./schema.js";
import { startDepartmentService } from "./server.js";

const IT = REFERENCE_DEPARTMENTS[2]!;
const SEED = { SEED: "true" };
// The user service's own department upstream is not used by these tests.
const UNUSED_ADDR = "127.0.0.1:9";

let point: ServiceHost<PointDatabase>;
let user: ServiceHost<UserDatabase>;
let department: ServiceHost<DepartmentDatabase>;

before(async () => {
  point = await startPointService(testConfig("point", SEED), silentLogger());
  user = await startUserService(
    { ...testConfig("user", SEED), pointServiceAddr: `127.0.0.1:${point.port}`, departmentServiceAddr: UNUSED_ADDR },
    silentLogger(),
  );
  department = await startDepartmentService(
    {
      ...testConfig("department", SEED),
      userServiceAddr: `127.0.0.1:${user.port}`,
      pointServiceAddr: `127.0.0.1:${point.port}`,
    },
    silentLogger(),
  );
});

after(async () => {
  // Stopping twice is harmless: the tests stop some of them early.
  await stopAndDrop(department);
  await stopAndDrop(user);
  await stopAndDrop(point);
});

describe("department service on real servers", () => {
  test("serves health and the seeded departments", async () => {
    const health = grpcClient(Health, department.port);
    assert.equal((await health.check({ service: "mesh.department.v1.DepartmentService" })).status, Status.SERVING);
    const list = await grpcClient(DepartmentService, department.port).listDepartments({ orderBy: "name" });
    assert.deepEqual(list.departments.map((d) => d.name), ["Finance", "Human Resources", "IT Support"]);
  });

  test("reports IT Support from the real user and point services", async () => {
    const res = await grpcClient(DepartmentService, department.port).getDepartmentReport({ id: IT.id });
    assert.equal(res.headcount, 3);
    assert.equal(res.totalPoints, 179n);
    assert.deepEqual([res.topUsers[0]?.name, res.topUsers[0]?.points], ["George Costanza", 93n]);
    assert.equal(res.topUsers.length, 3);
    assert.deepEqual([res.age?.min, res.age?.max, res.age?.avg], [22, 40, 33.33]);
    assert.deepEqual([res.salary?.min, res.salary?.max, res.salary?.avg], [48000, 90000, 74333.33]);
    assert.deepEqual(res.degraded, []);
  });

  test("with the point service stopped: degraded points, the user figures remain", async () => {
    await point.stop();
    const res = await grpcClient(DepartmentService, department.port).getDepartmentReport({ id: IT.id });
    assert.deepEqual(res.degraded, ["points"]);
    assert.equal(res.headcount, 3);
    assert.equal(res.age?.max, 40);
    assert.equal(res.salary?.avg, 74333.33);
    assert.equal(res.totalPoints, undefined);
    assert.deepEqual(res.topUsers, []);
  });

  test("with the user service stopped too: degraded users and points, the department remains", async () => {
    await user.stop();
    const res = await grpcClient(DepartmentService, department.port).getDepartmentReport({ id: IT.id });
    assert.deepEqual(res.degraded, ["users", "points"]);
    assert.equal(res.department?.name, "IT Support");
    assert.equal(res.headcount, undefined);
    assert.equal(res.age, undefined);
    assert.equal(res.totalPoints, undefined);
  });
});
