// The point service's configuration: the shared fields only (it calls no other service).
import type { EnvReader } from "../platform/config.js";
import { readServiceConfig, type ServiceConfig } from "../platform/service-config.js";

export type PointConfig = ServiceConfig;

export function readPointConfig(reader: EnvReader): PointConfig {
  return readServiceConfig("point", reader);
}
