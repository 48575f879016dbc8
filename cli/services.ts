// The four services of the mesh as the CLI sees them: where each listens by
// default, which variable and flag move it, and its gRPC service name.
import { BeerService } from "../gen/mesh/beer/v1/beer_pb.js";
import { DepartmentService } from "../gen/mesh/department/v1/department_pb.js";
import { PointService } from "../gen/mesh/point/v1/point_pb.js";
import { UserService } from "../gen/mesh/user/v1/user_pb.js";

export const MESH_SERVICES = {
  user: { env: "USER_SERVICE_ADDR", flag: "user-addr", defaultAddr: "localhost:50051", typeName: UserService.typeName },
  point: { env: "POINT_SERVICE_ADDR", flag: "point-addr", defaultAddr: "localhost:50052", typeName: PointService.typeName },
  department: {
    env: "DEPARTMENT_SERVICE_ADDR",
    flag: "department-addr",
    defaultAddr: "localhost:50053",
    typeName: DepartmentService.typeName,
  },
  beer: { env: "BEER_SERVICE_ADDR", flag: "beer-addr", defaultAddr: "localhost:50054", typeName: BeerService.typeName },
} as const;

export type MeshServiceName = keyof typeof MESH_SERVICES;
export const MESH_SERVICE_NAMES = Object.keys(MESH_SERVICES) as MeshServiceName[];

export type Addresses = Readonly<Record<MeshServiceName, string>>;

/** Each service's address: its flag, else its environment variable, else the local default. */
export function resolveAddresses(
  flags: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>>,
): Addresses {
  const entries = MESH_SERVICE_NAMES.map((name) => {
    const { env: variable, flag, defaultAddr } = MESH_SERVICES[name];
    const fromFlag = flags[flag];
    const fromEnv = env[variable]?.trim();
    const address = typeof fromFlag === "string" ? fromFlag.trim() : fromEnv ? fromEnv : defaultAddr;
    return [name, address] as const;
  });
  return Object.fromEntries(entries) as Record<MeshServiceName, string>;
}

/**
 * The base URL of an address. Accepts host:port, the dns:/// form the services'
 * own config uses in Kubernetes, and full http(s):// URLs (TLS behind an ingress).
 */
export function addressToBaseUrl(address: string): string {
  if (/^https?:\/\//i.test(address)) return address;
  return `http://${address.replace(/^dns:\/\/\//, "")}`;
}
