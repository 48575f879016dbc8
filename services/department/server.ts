// Wiring of the department service: database, upstream clients, handlers.
import { createClient } from "@connectrpc/connect";
import { DepartmentService } from "../../gen/mesh/department/v1/department_pb.js";
import { PointService } from "../../gen/mesh/point/v1/point_pb.js";
import { UserService } from "../../gen/mesh/user/v1/user_pb.js";
import type { Logger } from "../platform/logger.js";
import { startServiceHost, type ServiceHost } from "../platform/service-host.js";
import { createUpstream } from "../platform/upstream.js";
import type { DepartmentConfig } from "./config.js";
import { migrations } from "./migrations/index.js";
import type { DepartmentDatabase } from "./schema.js";
import { seedDepartments } from "./seed.js";
import { createDepartmentService } from "./service.js";

export function startDepartmentService(config: DepartmentConfig, logger: Logger): Promise<ServiceHost<DepartmentDatabase>> {
  return startServiceHost<DepartmentDatabase>({
    config,
    logger,
    migrations,
    seed: seedDepartments,
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
      const users = createUpstream(config.userServiceAddr, { ...channel, service: UserService });
      const points = createUpstream(config.pointServiceAddr, { ...channel, service: PointService });
      server.register(
        DepartmentService,
        createDepartmentService({
          db: database.db,
          users: createClient(UserService, users.transport),
          points: createClient(PointService, points.transport),
          logger,
          upstreamTimeoutMs: config.upstreamTimeoutMs,
          observeFanOut: (branch, outcome) => observability.mesh.fanOutBranches.inc({ branch, outcome }),
        }),
      );
      return [users.close, points.close];
    },
  });
}
