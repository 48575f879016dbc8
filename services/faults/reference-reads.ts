// What a correct mesh answers about the reference data, read through every
// service: abuse tests read it before and after and expect no difference.
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { BeerService } from "../../gen/mesh/beer/v1/beer_pb.js";
import { DepartmentService } from "../../gen/mesh/department/v1/department_pb.js";
import { PointService } from "../../gen/mesh/point/v1/point_pb.js";
import { UserService } from "../../gen/mesh/user/v1/user_pb.js";
import { SEED_BEERS } from "../beer/seed.js";
import { REFERENCE_DEPARTMENTS, REFERENCE_USERS } from "../platform/reference-data.js";
import { grpcClient } from "../testing/harness.js";
import type { TestMesh } from "../testing/mesh.js";

export async function readReference(mesh: TestMesh) {
  const users = grpcClient(UserService, mesh.user.port);
  const points = grpcClient(PointService, mesh.point.port);
  const departments = grpcClient(DepartmentService, mesh.department.port);
  const beers = grpcClient(BeerService, mesh.beer.port);
  const it = REFERENCE_DEPARTMENTS[2]!.id;
  return {
    users: await Promise.all(REFERENCE_USERS.map((u) => users.getUser({ id: u.id }))),
    statistics: await users.getUserStatistics({ orderBy: "name" }),
    itSupport: await users.listUsers({ departmentId: it, orderBy: "age desc" }),
    points: await points.batchGetUserPoints({ userIds: REFERENCE_USERS.map((u) => u.id) }),
    top: await points.listTopUsers({ limit: 9 }),
    departments: await Promise.all(REFERENCE_DEPARTMENTS.map((d) => departments.getDepartment({ id: d.id }))),
    report: await departments.getDepartmentReport({ id: it }),
    beers: await Promise.all(SEED_BEERS.map((b) => beers.getBeer({ id: b.id }))),
  };
}

/** The health of every service of every host ("" and each service name). */
export async function healthOfAll(mesh: TestMesh): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const { name, host } of mesh.hosts) {
    const health = grpcClient(Health, host.port);
    for (const service of host.server.health.entries().keys()) {
      out[`${name}:${service}`] = Status[(await health.check({ service })).status] ?? "?";
    }
  }
  return out;
}
