// The department service's configuration: the shared fields plus its two upstreams.
import type { EnvReader } from "../platform/config.js";
import { DEFAULT_PORTS, readServiceConfig, type ServiceConfig } from "../platform/service-config.js";

export interface DepartmentConfig extends ServiceConfig {
  /** host:port of the user service. */
  readonly userServiceAddr: string;
  /** host:port of the point service. */
  readonly pointServiceAddr: string;
}

export function readDepartmentConfig(reader: EnvReader): DepartmentConfig {
  return Object.freeze({
    ...readServiceConfig("department", reader),
    userServiceAddr: reader.address("USER_SERVICE_ADDR", `localhost:${DEFAULT_PORTS.user.grpc}`),
    pointServiceAddr: reader.address("POINT_SERVICE_ADDR", `localhost:${DEFAULT_PORTS.point.grpc}`),
  });
}
