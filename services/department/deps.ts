// What the DepartmentService handlers need, passed in by server.ts (and by tests).
import type { Client } from "@connectrpc/connect";
import type { Kysely } from "kysely";
import type { PointService } from "../../gen/mesh/point/v1/point_pb.js";
import type { UserService } from "../../gen/mesh/user/v1/user_pb.js";
import type { FanOutObserver } from "../platform/fan-out.js";
import type { Logger } from "../platform/logger.js";
import type { DepartmentDatabase } from "./schema.js";

export interface DepartmentServiceDeps {
  readonly db: Kysely<DepartmentDatabase>;
  readonly users: Client<typeof UserService>;
  readonly points: Client<typeof PointService>;
  readonly logger: Logger;
  /** Default deadline of calls to the user and point services. */
  readonly upstreamTimeoutMs: number;
  /** Counts fan-out branches by outcome. */
  readonly observeFanOut?: FanOutObserver;
}
