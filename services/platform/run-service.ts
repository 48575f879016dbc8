// The start of every service's main.ts: read the configuration, start
// telemetry, and only then load the service's modules (so the pg
// instrumentation sees pg load), start it, and stop both on a signal.
import type { Env, EnvReader } from "./config.js";
import { createLogger, type Logger } from "./logger.js";
import { runUntilSignal, type Running } from "./run.js";
import { loadConfig, type ServiceConfig, type ServiceName } from "./service-config.js";
import { startTelemetry } from "./telemetry.js";
import { collectAfterStart, tuneV8 } from "./v8-tuning.js";

export type StartService<C> = (config: C, logger: Logger) => Promise<Running>;

/**
 * Runs a service until SIGTERM or SIGINT. `load` must import the service's
 * server module dynamically: a static import would load pg before telemetry.
 */
export function runService<C extends ServiceConfig>(
  name: ServiceName,
  env: Env,
  read: (reader: EnvReader) => C,
  load: () => Promise<StartService<C>>,
): void {
  runUntilSignal(name, async () => {
    const config = loadConfig(env, read);
    tuneV8({ pretenuring: config.v8Pretenuring, bytecodeOldAge: config.v8BytecodeOldAge });
    const logger = createLogger({ service: name, level: config.logLevel, traceIds: config.tracing });
    const telemetry = await startTelemetry({ service: name, enabled: config.tracing });
    if (config.tracing) logger.info("tracing on: spans go to the OTLP endpoint of OTEL_EXPORTER_OTLP_*");
    try {
      const running = await (await load())(config, logger);
      collectAfterStart();
      return {
        async stop() {
          try {
            await running.stop();
          } finally {
            await telemetry.shutdown();
          }
        },
      };
    } catch (err) {
      await telemetry.shutdown();
      throw err;
    }
  });
}
