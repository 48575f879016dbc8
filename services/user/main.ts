// Entry point of the user service: the only place that reads the environment and handles signals.
// The server module is imported only after telemetry has started (see platform/telemetry.ts).
import { runService } from "../platform/run-service.js";
import { readUserConfig } from "./config.js";

runService("user", process.env, readUserConfig, async () => (await import("./server.js")).startUserService);
