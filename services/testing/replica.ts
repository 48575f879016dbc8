// A point-service replica as its own process, for channel tests that kill,
// drain and restart replicas: `node --import tsx replica.ts <name> <port>`.
// It answers GetUserPoints with its own name as user_id, so callers can count
// who answered. SIGUSR1 turns it NOT_SERVING, SIGUSR2 SERVING again; SIGTERM
// stops it gracefully. Prints "ready" once listening.
import { PointService } from "../../gen/mesh/point/v1/point_pb.js";
import { ServingStatus } from "../platform/health.js";
import { createLogger } from "../platform/logger.js";
import { createServer } from "../platform/server.js";
import { testConfig } from "./harness.js";

const [name = "replica", port = "0", delayMs = "0"] = process.argv.slice(2);
const config = testConfig("point").server;
const server = createServer({
  config: { ...config, port: Number(port), httpPort: -1, shutdownGraceMs: 5_000 },
  logger: createLogger({ service: name, level: "silent" }),
});
server.register(PointService, {
  async getUserPoints(_req, ctx) {
    if (Number(delayMs) > 0) await new Promise((resolve) => setTimeout(resolve, Number(delayMs)));
    return { userId: name, points: BigInt(ctx.timeoutMs() ?? -1) };
  },
  async addPoints() {
    return { points: 1n };
  },
});
await server.listen();
server.health.setAll(ServingStatus.SERVING);
process.on("SIGUSR1", () => server.health.setAll(ServingStatus.NOT_SERVING));
process.on("SIGUSR2", () => server.health.setAll(ServingStatus.SERVING));
process.on("SIGTERM", () => void server.stop());
process.stdout.write("ready\n");
