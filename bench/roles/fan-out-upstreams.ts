// The upstreams of the fan-out benchmark on one port of our server: point
// (BatchGetUserPoints), department (BatchGetDepartments) and user (ListUsers of
// a department of --members users, 1000 a page). Each answer takes --base-ms,
// and a --slow share of them --slow-ms more (the 1% slow branches).
// Messages: -> {type:"ready", port}; <- {type:"stop"}.
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { DepartmentService } from "../../gen/mesh/department/v1/department_pb.js";
import { PointService } from "../../gen/mesh/point/v1/point_pb.js";
import { UserService } from "../../gen/mesh/user/v1/user_pb.js";
import { fastNodeAdapter } from "../../services/platform/fast/adapter.js";
import { ServingStatus } from "../../services/platform/health.js";
import { createLogger, logDestination } from "../../services/platform/logger.js";
import { REFERENCE_DEPARTMENTS } from "../../services/platform/reference-data.js";
import { createServer } from "../../services/platform/server.js";
import { onMessage, reply } from "../lib/children.js";
import { benchServerConfig } from "../lib/fixtures.js";

const { values: args } = parseArgs({
  options: {
    "base-ms": { type: "string", default: "0" },
    "slow-ms": { type: "string", default: "50" },
    slow: { type: "string", default: "0.01" },
    members: { type: "string", default: "3000" },
  },
});
const baseMs = Number(args["base-ms"]);
const slowMs = Number(args["slow-ms"]);
const slowShare = Number(args.slow);
const members = Array.from({ length: Number(args.members) }, (_, i) => ({
  id: `01900000-0000-7000-9000-${String(i).padStart(12, "0")}`,
  name: `Member ${i}`,
  email: `member.${i}@example.com`,
  age: 20 + (i % 45),
  salary: 40_000 + (i % 50) * 1_000,
  departmentId: REFERENCE_DEPARTMENTS[2]?.id ?? "",
}));

const delay = () => {
  const ms = baseMs + (Math.random() < slowShare ? slowMs : 0);
  return ms > 0 ? sleep(ms) : Promise.resolve();
};

const server = createServer({
  config: benchServerConfig(),
  logger: createLogger({ service: "bench-upstreams", destination: logDestination("/dev/null"), traceIds: false }),
  adapter: fastNodeAdapter,
});
server.register(PointService, {
  async batchGetUserPoints(req) {
    await delay();
    return { points: Object.fromEntries(req.userIds.map((id, i) => [id, BigInt((i * 7) % 100)])) };
  },
});
server.register(DepartmentService, {
  async batchGetDepartments(req) {
    await delay();
    return { departments: Object.fromEntries(REFERENCE_DEPARTMENTS.filter((d) => req.ids.includes(d.id)).map((d) => [d.id, { ...d }])) };
  },
});
server.register(UserService, {
  async listUsers(req) {
    await delay();
    const start = req.pageToken === "" ? 0 : Number(req.pageToken);
    const size = req.pageSize > 0 ? req.pageSize : 50;
    const page = members.slice(start, start + size);
    return { users: page, nextPageToken: start + size < members.length ? String(start + size) : "", totalSize: members.length };
  },
});
const { port } = await server.listen();
server.health.setAll(ServingStatus.SERVING);
reply({ type: "ready", port });
onMessage(async (m) => {
  if (m.type === "stop") {
    await server.stop();
    process.disconnect();
  }
});
