// JSON logs with pino: one logger per process, children per RPC. Inside a
// traced RPC every line carries trace_id and span_id, so a log search and a
// trace view lead to each other.
import { context, isSpanContextValid, trace } from "@opentelemetry/api";
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
      mixin: traceFields,
    },
    options.destination ?? logDestination(),
  );
}

/** Lines are written once this many bytes are waiting, or after FLUSH_INTERVAL_MS. */
const BUFFER_BYTES = 4096;
const FLUSH_INTERVAL_MS = 200;

/**
 * Where production lines go: stdout (or `dest`), written asynchronously in
 * batches. A write per line costs a thread-pool round trip per call when calls
 * come one at a time; batching keeps that off the hot path, at the price of
 * lines reaching the log at most FLUSH_INTERVAL_MS late. pino flushes what is
 * waiting when the process exits (not after SIGKILL).
 */
export function logDestination(dest: string | number = 1): ReturnType<typeof pino.destination> {
  const stream = pino.destination({ dest, sync: false, minLength: BUFFER_BYTES });
  const timer = setInterval(() => {
    // sonic-boom writes even an empty buffer when asked to flush; skip the syscall when idle.
    const waiting = (stream as { _len?: number })._len;
    if (waiting === undefined || waiting > 0) stream.flush();
  }, FLUSH_INTERVAL_MS);
  timer.unref();
  stream.on("close", () => clearInterval(timer));
  return stream;
}

/**
 * The active span's ids. With tracing off no context manager is registered,
 * so this finds no span and adds nothing; pino merges into the returned
 * object, hence a new one per line.
 */
function traceFields(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (span === undefined) return {};
  const spanContext = span.spanContext();
  return isSpanContextValid(spanContext) ? { trace_id: spanContext.traceId, span_id: spanContext.spanId } : {};
}
