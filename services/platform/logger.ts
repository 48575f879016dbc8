// JSON logs with pino: one logger per process, children per RPC.
import { pino, type Logger } from "pino";

export type { Logger };

export interface LoggerOptions {
  /** The service name, on every line. */
  readonly service: string;
  /** Default "info". */
  readonly level?: string;
  /** Where lines go; default stdout. Tests pass a stream to read them back. */
  readonly destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}
