// Entry point of the point service: the only place that reads the environment and handles signals.
// The server module is imported only after telemetry has started (see platform/telemetry.ts).
import { runService } from "../platform/run-service.js";
import { readPointConfig } from "./config.js";

runService("point", process.env, readPointConfig, async () => (await import("./server.js")).startPointService);
