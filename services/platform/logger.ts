// JSON logs with pino: one logger per process, children per RPC. Inside a
// traced RPC every line carries trace_id and span_id, so a log search and a
// trace view lead to each other.
import { context, isSpanContextValid, trace } from "@opentelemetry/api";
import { pino, type Logger } from "pino";
import { LogDestination } from "./log-destination.js";

export type { Logger };

export interface LoggerOptions {
  /** The service name, on every line. */
  readonly service: string;
  /** Default "info". */
  readonly level?: string;
  /** Where lines go; default stdout. Tests pass a stream to read them back. */
  readonly destination?: pino.DestinationStream;
  /**
   * Whether lines carry the active span's trace_id and span_id (default true).
   * A service passes its tracing switch: with tracing off there is never a
   * span, and looking for one costs an object per line.
   */
  readonly traceIds?: boolean;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: { service: options.service },
      timestamp: isoTime,
      formatters: { level: (label) => ({ level: label }) },
      ...(options.traceIds === false ? {} : { mixin: traceFields }),
    },
    // A silent logger writes nothing: it needs no destination (nor its timer and exit hook).
    options.destination ?? (options.level === "silent" ? NOWHERE : logDestination()),
  );
}

const NOWHERE: pino.DestinationStream = { write: () => undefined };

/** Where production lines go: stdout, or `dest`, in batches (services/platform/log-destination.ts). */
export function logDestination(dest: string | number = 1): LogDestination {
  return new LogDestination(dest);
}

let lastMs = -1;
let lastTime = "";

/** pino's isoTime, formatted once per millisecond: at thousands of lines a second most lines share one. */
function isoTime(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastTime = `,"time":"${new Date(now).toISOString()}"`;
  }
  return lastTime;
}

/**
 * The active span's ids. With tracing off no context manager is registered,
 * so this finds no span and adds nothing; pino merges into the returned
 * object, hence a new one per line.
 */
export function traceFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getSpan(context.active());
  if (span === undefined) return {};
  const spanContext = span.spanContext();
  return isSpanContextValid(spanContext) ? { trace_id: spanContext.traceId, span_id: spanContext.spanId } : {};
}
