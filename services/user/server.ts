// Wiring of the user service: database, upstream clients, handlers.
import { createClient } from "@connectrpc/connect";
import { DepartmentService } from "../../gen/mesh/department/v1/department_pb.js";
import { PointService } from "../../gen/mesh/point/v1/point_pb.js";
import { UserService } from "../../gen/mesh/user/v1/user_pb.js";
import type { Logger } from "../platform/logger.js";
import { startServiceHost, type ServiceHost } from "../platform/service-host.js";
import { createUpstream } from "../platform/upstream.js";
import type { UserConfig } from "./config.js";
import { createUserMetrics } from "./metrics.js";
import { migrations } from "./migrations/index.js";
import type { UserDatabase } from "./schema.js";
import { seedUsers } from "./seed.js";
import { createUserService } from "./service.js";

export function startUserService(config: UserConfig, logger: Logger): Promise<ServiceHost<UserDatabase>> {
  return startServiceHost<UserDatabase>({
    config,
    logger,
    migrations,
    seed: seedUsers,
    mount(server, database, observability) {
      const channel = {
        channel: config.channel,
        readMaxBytes: config.server.readMaxBytes,
        metrics: observability.mesh,
        // grpc_client_* metrics and client spans, once per logical call.
        interceptors: [observability.clientInterceptor],
        tls: config.upstreamTls,
        logger,
      };
      const points = createUpstream(config.pointServiceAddr, { ...channel, service: PointService });
      const departments = createUpstream(config.departmentServiceAddr, { ...channel, service: DepartmentService });
      server.register(
        UserService,
        createUserService({
          db: database.db,
          points: createClient(PointService, points.transport),
          departments: createClient(DepartmentService, departments.transport),
          logger,
          upstreamTimeoutMs: config.upstreamTimeoutMs,
          observeFanOut: (branch, outcome) => observability.mesh.fanOutBranches.inc({ branch, outcome }),
          metrics: createUserMetrics(observability),
        }),
      );
      return [points.close, departments.close];
    },
  });
}
