// Entry point of the point service: the only place that reads the environment and handles signals.
import { createLogger } from "../platform/logger.js";
import { runUntilSignal } from "../platform/run.js";
import { loadConfig } from "../platform/service-config.js";
import { readPointConfig } from "./config.js";
import { startPointService } from "./server.js";

runUntilSignal("point", async () => {
  const config = loadConfig(process.env, readPointConfig);
  return startPointService(config, createLogger({ service: "point", level: config.logLevel }));
});
