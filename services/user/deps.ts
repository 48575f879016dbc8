// What the UserService handlers need, passed in by server.ts (and by tests).
import type { Client } from "@connectrpc/connect";
import type { Kysely } from "kysely";
import type { DepartmentService } from "../../gen/mesh/department/v1/department_pb.js";
import type { PointService } from "../../gen/mesh/point/v1/point_pb.js";
import type { FanOutObserver } from "../platform/fan-out.js";
import type { Logger } from "../platform/logger.js";
import type { UserMetrics } from "./metrics.js";
import type { UserDatabase } from "./schema.js";

export interface UserServiceDeps {
  readonly db: Kysely<UserDatabase>;
  readonly points: Client<typeof PointService>;
  readonly departments: Client<typeof DepartmentService>;
  readonly logger: Logger;
  /** Default deadline of calls to the point and department services. */
  readonly upstreamTimeoutMs: number;
  /** Counts fan-out branches by outcome. */
  readonly observeFanOut?: FanOutObserver;
  /** Domain counters; absent in tests that do not look at them. */
  readonly metrics?: UserMetrics;
}
