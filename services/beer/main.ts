// Entry point of the beer service: the only place that reads the environment and handles signals.
import { createLogger } from "../platform/logger.js";
import { runUntilSignal } from "../platform/run.js";
import { loadConfig } from "../platform/service-config.js";
import { readBeerConfig } from "./config.js";
import { startBeerService } from "./server.js";

runUntilSignal("beer", async () => {
  const config = loadConfig(process.env, readBeerConfig);
  return startBeerService(config, createLogger({ service: "beer", level: config.logLevel }));
});
