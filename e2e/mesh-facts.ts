// What the suite expects of the mesh, stated here rather than read from the
// services' code: the contract (the generated descriptors of proto/mesh/*/v1)
// and the reference data set the README documents.
import type { DescService } from "@bufbuild/protobuf";
import { BeerService } from "../gen/mesh/beer/v1/beer_pb.js";
import { DepartmentService } from "../gen/mesh/department/v1/department_pb.js";
import { PointService } from "../gen/mesh/point/v1/point_pb.js";
import { UserService } from "../gen/mesh/user/v1/user_pb.js";

export const SERVICE_NAMES = ["user", "point", "department", "beer"] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export const CONTRACT: Readonly<Record<ServiceName, DescService>> = {
  user: UserService,
  point: PointService,
  department: DepartmentService,
  beer: BeerService,
};

/** Services every server also serves. */
export const HEALTH_SERVICE = "grpc.health.v1.Health";
export const REFLECTION_V1 = "grpc.reflection.v1.ServerReflection";
export const REFLECTION_V1ALPHA = "grpc.reflection.v1alpha.ServerReflection";

/** The reference data (README, "The reference data"). */
export const REF = {
  departments: {
    hr: "01900000-0000-7000-8000-0000000000d1",
    finance: "01900000-0000-7000-8000-0000000000d2",
    itSupport: "01900000-0000-7000-8000-0000000000d3",
  },
  users: {
    alice: "01900000-0000-7000-8000-000000000001",
    diana: "01900000-0000-7000-8000-000000000004",
    george: "01900000-0000-7000-8000-000000000007",
    hannah: "01900000-0000-7000-8000-000000000008",
    ian: "01900000-0000-7000-8000-000000000009",
  },
  userCount: 9,
  /** Over the whole user table: max / min / avg. */
  age: { max: 40, min: 22, avg: 31.22 },
  salary: { max: 90000, min: 48000, avg: 68333.33 },
  /** IT Support: George Costanza (40, 90000, 93), Hannah Baker (22, 48000, 13), Ian Malcolm (38, 85000, 73). */
  itSupport: {
    headcount: 3,
    totalPoints: "179",
    age: { min: 22, max: 40, avg: 33.33 },
    salary: { min: 48000, max: 90000, avg: 74333.33 },
    top: [
      ["01900000-0000-7000-8000-000000000007", "George Costanza", "93"],
      ["01900000-0000-7000-8000-000000000009", "Ian Malcolm", "73"],
      ["01900000-0000-7000-8000-000000000008", "Hannah Baker", "13"],
    ],
  },
  /** The three users with the most points. */
  topUsers: [
    ["01900000-0000-7000-8000-000000000007", "93"],
    ["01900000-0000-7000-8000-000000000004", "83"],
    ["01900000-0000-7000-8000-000000000009", "73"],
  ],
  beers: {
    duff: "01900000-0000-7000-8000-0000000000b1",
    /** Seeded beers by name, ascending. */
    namesAscending: ["Duff", "Duff Dry", "Fudd", "Red Tick", "Skittlebrau"],
  },
} as const;

export function fullMethod(service: ServiceName, method: string): string {
  return `${CONTRACT[service].typeName}/${method}`;
}
