// The user service's configuration: the shared fields plus its two upstreams.
import type { EnvReader } from "../platform/config.js";
import { DEFAULT_PORTS, readServiceConfig, type ServiceConfig } from "../platform/service-config.js";

export interface UserConfig extends ServiceConfig {
  /** host:port of the point service. */
  readonly pointServiceAddr: string;
  /** host:port of the department service. */
  readonly departmentServiceAddr: string;
}

export function readUserConfig(reader: EnvReader): UserConfig {
  return Object.freeze({
    ...readServiceConfig("user", reader),
    pointServiceAddr: reader.address("POINT_SERVICE_ADDR", `localhost:${DEFAULT_PORTS.point.grpc}`),
    departmentServiceAddr: reader.address("DEPARTMENT_SERVICE_ADDR", `localhost:${DEFAULT_PORTS.department.grpc}`),
  });
}
