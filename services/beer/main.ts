// Entry point of the beer service: the only place that reads the environment and handles signals.
// The server module is imported only after telemetry has started (see platform/telemetry.ts).
import { runService } from "../platform/run-service.js";
import { readBeerConfig } from "./config.js";

runService("beer", process.env, readBeerConfig, async () => (await import("./server.js")).startBeerService);
