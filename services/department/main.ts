// Entry point of the department service: the only place that reads the environment and handles signals.
import { createLogger } from "../platform/logger.js";
import { runUntilSignal } from "../platform/run.js";
import { loadConfig } from "../platform/service-config.js";
import { readDepartmentConfig } from "./config.js";
import { startDepartmentService } from "./server.js";

runUntilSignal("department", async () => {
  const config = loadConfig(process.env, readDepartmentConfig);
  return startDepartmentService(config, createLogger({ service: "department", level: config.logLevel }));
});
