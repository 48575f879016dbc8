// The service under test of the fan-out benchmark: the user service's
// GetUserStatistics and the department service's GetDepartmentReport handlers
// (PostgreSQL, schemas bench_user and bench_department) on our server, calling
// the fake upstreams through our channel. Every outbound call is timed; with
// --mode sequential the calls one inbound call makes are also run one after
// another (a stand-in for a handler that awaits each branch in turn).
// Messages: -> {type:"ready", port}; <- {type:"stats"} -> {type:"stats", ...}; <- {type:"stop"}.
import { parseArgs } from "node:util";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { DepartmentService } from "../../gen/mesh/department/v1/department_pb.js";
import { PointService } from "../../gen/mesh/point/v1/point_pb.js";
import { UserService } from "../../gen/mesh/user/v1/user_pb.js";
import type { DepartmentDatabase } from "../../services/department/schema.js";
import { createDepartmentService } from "../../services/department/service.js";
import { Channel } from "../../services/platform/channel/channel.js";
import { resolverFor } from "../../services/platform/channel/resolver.js";
import { openDatabase } from "../../services/platform/database.js";
import { fastNodeAdapter } from "../../services/platform/fast/adapter.js";
import { ServingStatus } from "../../services/platform/health.js";
import { interceptTransport } from "../../services/platform/intercept-transport.js";
import { createLogger, logDestination } from "../../services/platform/logger.js";
import { createObservability } from "../../services/platform/observability.js";
import { createServer } from "../../services/platform/server.js";
import type { UserDatabase } from "../../services/user/schema.js";
import { createUserService } from "../../services/user/service.js";
import { onMessage, reply } from "../lib/children.js";
import { benchServerConfig, databaseConfig } from "../lib/fixtures.js";
import { percentile } from "../lib/stats.js";

const { values: args } = parseArgs({
  options: { upstream: { type: "string" }, mode: { type: "string", default: "concurrent" }, "database-url": { type: "string" } },
});
const sequential = args.mode === "sequential";
const upstream = `127.0.0.1:${args.upstream}`;

interface Branch {
  readonly method: string;
  readonly start: number;
  end: number;
}
/** The outbound calls of each inbound call, keyed by the signal its handler passes on. */
const calls = new Map<AbortSignal, Branch[]>();
const finished: Branch[][] = [];
const tails = new WeakMap<AbortSignal, Promise<unknown>>();

/** Times every outbound call; in sequential mode, makes the calls of one inbound call wait for each other. */
const timing: Interceptor = (next) => async (req) => {
  const branches = calls.get(req.signal) ?? [];
  if (branches.length === 0) calls.set(req.signal, branches);
  const previous = sequential ? tails.get(req.signal) : undefined;
  const run = (async () => {
    if (previous !== undefined) await previous.catch(() => undefined);
    const branch: Branch = { method: req.method.name, start: performance.now(), end: 0 };
    branches.push(branch);
    try {
      return await next(req);
    } finally {
      branch.end = performance.now();
    }
  })();
  if (sequential) tails.set(req.signal, run);
  return run;
};

const logger = createLogger({ service: "bench-fan-out", destination: logDestination("/dev/null"), traceIds: false });
const observability = createObservability({ tracing: false });
const userDb = await openDatabase<UserDatabase>(databaseConfig(args["database-url"], "bench_user"), logger);
const departmentDb = await openDatabase<DepartmentDatabase>(databaseConfig(args["database-url"], "bench_department"), logger);
const channel = new Channel({ name: upstream, resolver: resolverFor(upstream), leanUnary: true });
// As createUpstream wires it (metrics once per logical call), plus the timing.
const transport = interceptTransport(channel, [observability.clientInterceptor, timing], `http://${upstream}`);
const upstreamTimeoutMs = 2_000;

const server = createServer({ config: benchServerConfig(), logger, observer: observability.serverInterceptor, adapter: fastNodeAdapter });
server.register(
  UserService,
  createUserService({
    db: userDb.db,
    points: createClient(PointService, transport),
    departments: createClient(DepartmentService, transport),
    logger,
    upstreamTimeoutMs,
  }),
);
server.register(
  DepartmentService,
  createDepartmentService({
    db: departmentDb.db,
    users: createClient(UserService, transport),
    points: createClient(PointService, transport),
    logger,
    upstreamTimeoutMs,
  }),
);
const { port } = await server.listen();
server.health.setAll(ServingStatus.SERVING);
reply({ type: "ready", port });

onMessage(async (m) => {
  if (m.type === "reset") {
    // Calls still in the map belong to the warm-up.
    calls.clear();
    finished.length = 0;
    reply({ type: "reset" });
  }
  if (m.type === "stats") {
    for (const branches of calls.values()) if (branches.every((b) => b.end > 0)) finished.push(branches);
    calls.clear();
    reply({ type: "stats", ...summarise(finished) });
  }
  if (m.type === "stop") {
    await server.stop();
    channel.close();
    await userDb.close();
    await departmentDb.close();
    process.disconnect();
  }
});

/** p50 of the fan-out span (first call's start to last call's end) and of each method's calls. */
function summarise(inbound: Branch[][]) {
  const spans = inbound.map((b) => Math.max(...b.map((x) => x.end)) - Math.min(...b.map((x) => x.start)));
  const byMethod = new Map<string, number[]>();
  for (const b of inbound.flat()) byMethod.set(b.method, [...(byMethod.get(b.method) ?? []), b.end - b.start]);
  return {
    inbound: inbound.length,
    spanP50Ms: percentile(spans, 50),
    spanP99Ms: percentile(spans, 99),
    branchP50Ms: Object.fromEntries([...byMethod].map(([method, d]) => [method, percentile(d, 50)])),
    branchP99Ms: Object.fromEntries([...byMethod].map(([method, d]) => [method, percentile(d, 99)])),
  };
}
