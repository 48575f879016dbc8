// Wiring of the point service: database and handlers.
import { PointService } from "../../gen/mesh/point/v1/point_pb.js";
import type { Logger } from "../platform/logger.js";
import { startServiceHost, type ServiceHost } from "../platform/service-host.js";
import type { PointConfig } from "./config.js";
import { createPointMetrics } from "./metrics.js";
import { migrations } from "./migrations/index.js";
import type { PointDatabase } from "./schema.js";
import { seedPoints } from "./seed.js";
import { createPointService } from "./service.js";

export function startPointService(config: PointConfig, logger: Logger): Promise<ServiceHost<PointDatabase>> {
  return startServiceHost<PointDatabase>({
    config,
    logger,
    migrations,
    seed: seedPoints,
    mount(server, database, observability) {
      server.register(PointService, createPointService({ db: database.db, metrics: createPointMetrics(observability) }));
    },
  });
}
