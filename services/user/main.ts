// Entry point of the user service: the only place that reads the environment and handles signals.
import { createLogger } from "../platform/logger.js";
import { runUntilSignal } from "../platform/run.js";
import { loadConfig } from "../platform/service-config.js";
import { readUserConfig } from "./config.js";
import { startUserService } from "./server.js";

runUntilSignal("user", async () => {
  const config = loadConfig(process.env, readUserConfig);
  return startUserService(config, createLogger({ service: "user", level: config.logLevel }));
});
