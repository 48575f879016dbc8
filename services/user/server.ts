// Wiring of the user service: database, upstream clients, handlers.
import { createClient } from "@connectrpc/connect";
import { DepartmentService } from "../../gen/mesh/department/v1/department_pb.js";
import { PointService } from "../../gen/mesh/point/v1/point_pb.js";
import { UserService } from "../../gen/mesh/user/v1/user_pb.js";
import { interceptTransport } from "../platform/intercept-transport.js";
import type { Logger } from "../platform/logger.js";
import { startServiceHost, type ServiceHost } from "../platform/service-host.js";
import { createUpstream, type Upstream } from "../platform/upstream.js";
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
      const points = createUpstream(config.pointServiceAddr, { readMaxBytes: config.server.readMaxBytes });
      const departments = createUpstream(config.departmentServiceAddr, { readMaxBytes: config.server.readMaxBytes });
      // grpc_client_* metrics and client spans, once per logical call.
      const observed = (upstream: Upstream) =>
        interceptTransport(upstream.transport, [observability.clientInterceptor], `http://${upstream.address.replace(/^dns:\/\/\//, "")}`);
      server.register(
        UserService,
        createUserService({
          db: database.db,
          points: createClient(PointService, observed(points)),
          departments: createClient(DepartmentService, observed(departments)),
          logger,
          upstreamTimeoutMs: config.upstreamTimeoutMs,
          metrics: createUserMetrics(observability),
        }),
      );
      return [points.close, departments.close];
    },
  });
}
