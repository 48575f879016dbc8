// The RPC line, the one log line written for every call, serialized here
// rather than by pino: the same bytes pino writes for
// `logger.info({ rpc, code, duration_ms, peer, request_id, error }, "rpc")`,
// at about a third of the cost (pino escapes every key and walks the object;
// here the keys and the method's part are written once, and only what a
// caller sent is escaped). Measured by bench/interceptors.ts (see
// docs/benchmarks/README.md); rpc-line.test.ts checks the bytes against
// pino's for the loggers createLogger makes, with and without trace ids.
//
// It reads what pino keeps on the logger through pino.symbols, its published
// names for them: the level's and the time's text, the bindings, the stream.
// A logger configured in a way this does not reproduce (a log formatter,
// hooks, a message prefix, redaction, a mixin other than ours, a stream that
// wants metadata) logs through pino as before.
import { pino, type Logger } from "pino";
import { traceFields } from "./logger.js";

// One of pino's symbols its types leave out (pino 10 has it at run time).
const S = pino.symbols as typeof pino.symbols & { readonly mixinMergeStrategySym: symbol };

/** The fields of the RPC line, in their order. */
export interface RpcFields {
  /** `service/Method`. */
  readonly rpc: string;
  /** "OK", or the name of Connect's Code: "NotFound", "InvalidArgument", ... */
  readonly code: string;
  readonly durationMs: number;
  readonly peer: string;
  readonly requestId: string | undefined;
  /** The message a failed call answered with. */
  readonly error: string | undefined;
}

/** Writes one RPC line at `level` ("info" or "debug"); the caller has checked the level is enabled. */
export type RpcLineWriter = (level: "info" | "debug", fields: RpcFields) => void;

/** The keys written, which no serializer or redaction of the logger may touch. */
const KEYS = ["rpc", "code", "duration_ms", "peer", "request_id", "error", "msg", "trace_id", "span_id"];

/**
 * A writer for `logger`'s RPC lines: our serializer when the logger is
 * configured as createLogger configures it, else pino's own
 * `logger[level](fields, "rpc")`.
 */
export function rpcLineWriter(logger: Logger): RpcLineWriter {
  return ownFormatApplies(logger) ? writeOwn.bind(undefined, logger) : writeThroughPino.bind(undefined, logger);
}

/** What pino's write and _asJson (pino 10) do for this call that writeOwn leaves out, checked once. */
function ownFormatApplies(logger: Logger): boolean {
  const l = logger as unknown as Record<symbol, unknown>;
  const formatters = l[S.formattersSym] as { log?: unknown } | undefined;
  const hooks = l[S.hooksSym] as { logMethod?: unknown; streamWrite?: unknown } | undefined;
  const serializers = (l[S.serializersSym] ?? {}) as Record<string, unknown>;
  const stringifiers = (l[S.stringifiersSym] ?? {}) as Record<string | symbol, unknown>;
  const stream = l[S.streamSym] as Record<symbol, unknown> | undefined;
  const mixin = l[S.mixinSym];
  return (
    formatters !== undefined &&
    formatters.log === undefined &&
    hooks !== undefined &&
    hooks.logMethod === undefined &&
    hooks.streamWrite === undefined &&
    !KEYS.some((key) => key in serializers || key in stringifiers) &&
    stringifiers[S.wildcardFirstSym as symbol] === undefined &&
    l[S.redactFmtSym] === undefined &&
    l[S.messageKeySym] === "msg" &&
    !l[S.nestedKeySym] &&
    !logger.msgPrefix &&
    l[S.mixinMergeStrategySym] === undefined &&
    (mixin === undefined || mixin === traceFields) &&
    typeof l[S.timeSym] === "function" &&
    ["info", "debug"].every((level) => typeof (l[S.lsCacheSym] as Record<number, unknown> | undefined)?.[logger.levels.values[level] as number] === "string") &&
    stream !== undefined &&
    stream[S.needsMetadataGsym as symbol] !== true
  );
}

function writeThroughPino(logger: Logger, level: "info" | "debug", fields: RpcFields): void {
  logger[level](
    {
      rpc: fields.rpc,
      code: fields.code,
      duration_ms: fields.durationMs,
      peer: fields.peer,
      request_id: fields.requestId,
      ...(fields.error === undefined ? {} : { error: fields.error }),
    },
    "rpc",
  );
}

function writeOwn(logger: Logger, level: "info" | "debug", fields: RpcFields): void {
  const l = logger as unknown as Record<symbol, unknown>;
  // pino's order: level, time, bindings (base fields and children's), the mixin's fields, the object's, msg.
  let line =
    (l[S.lsCacheSym] as Record<number, string>)[logger.levels.values[level] as number]! +
    (l[S.timeSym] as () => string)() +
    (l[S.chindingsSym] as string);
  if (l[S.mixinSym] !== undefined) {
    const trace = traceFields();
    if (trace.trace_id !== undefined) line += ',"trace_id":' + quote(trace.trace_id) + ',"span_id":' + quote(trace.span_id!);
  }
  line += ',"rpc":' + quote(fields.rpc) + ',"code":' + quote(fields.code) + ',"duration_ms":' + number(fields.durationMs) + ',"peer":' + quote(fields.peer);
  if (fields.requestId !== undefined) line += ',"request_id":' + quote(fields.requestId);
  if (fields.error !== undefined) line += ',"error":' + quote(fields.error);
  (l[S.streamSym] as { write(line: string): unknown }).write(line + ',"msg":"rpc"}\n');
}

/** As pino writes a number: non-finite ones as null. */
function number(n: number): string {
  return Number.isFinite(n) ? String(n) : "null";
}

/**
 * A JSON string. Printable ASCII without `"` or `\` is written as it is (the
 * rpc, the code, an address: almost every value); anything else goes through
 * JSON.stringify, which pino also uses for control characters. For other
 * text the bytes are pino's too, except a lone surrogate, which pino writes
 * raw (invalid UTF-8 once encoded) and JSON.stringify escapes.
 */
function quote(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c === 34 || c === 92 || c > 126) return JSON.stringify(s);
  }
  return '"' + s + '"';
}
