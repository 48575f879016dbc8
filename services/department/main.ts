// Entry point of the department service: the only place that reads the environment and handles signals.
// The server module is imported only after telemetry has started (see platform/telemetry.ts).
import { runService } from "../platform/run-service.js";
import { readDepartmentConfig } from "./config.js";

runService("department", process.env, readDepartmentConfig, async () => (await import("./server.js")).startDepartmentService);
