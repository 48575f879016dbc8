// The server interceptor every service runs: one log line per RPC, and the one
// place where errors become what a client may see.
import { Code, ConnectError, createContextKey, type Interceptor, type StreamRequest, type UnaryRequest } from "@connectrpc/connect";
import { databaseErrorToConnectError } from "./errors.js";
import type { Logger } from "./logger.js";
import { rpcLineWriter, type RpcLineWriter } from "./rpc-line.js";

/** The remote address of the caller, set by the server from the socket. */
export const peerKey = createContextKey<string>("", { description: "remote address of the caller" });

/** The caller's address and port: tells the caller's connections apart. */
export const connectionKey = createContextKey<string>("", { description: "remote address and port of the caller" });

/** Upstream codes a caller may see as they are: they describe the mesh, not the caller's request. */
const PASS_THROUGH_UPSTREAM = new Set([Code.Unavailable, Code.DeadlineExceeded, Code.Canceled, Code.ResourceExhausted]);

/** Services whose calls are logged at debug level only (probes poll them). */
const QUIET_SERVICES = new Set(["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]);

/**
 * Turns any error into the ConnectError a client may see. Intended errors pass;
 * known database failures map to codes; errors of upstream calls that a handler
 * let escape keep their code only when it describes availability; everything
 * else becomes INTERNAL with a generic message and is logged with its cause.
 * What is logged carries the call's `rpc` field, as its line does.
 */
export function toClientError(err: unknown, signal: AbortSignal, log: Logger, rpc: string): ConnectError {
  if (signal.aborted && signal.reason instanceof ConnectError) return signal.reason;
  if (err instanceof ConnectError) {
    if (!err.isWireError) return err;
    if (PASS_THROUGH_UPSTREAM.has(err.code)) return new ConnectError(`upstream: ${err.rawMessage}`, err.code);
    log.error({ rpc, err }, "unexpected upstream error");
    return new ConnectError("internal error", Code.Internal);
  }
  const mapped = databaseErrorToConnectError(err);
  if (mapped !== undefined) {
    if (mapped.code === Code.Unavailable) log.warn({ rpc, err }, "database unavailable");
    return mapped;
  }
  log.error({ rpc, err }, "internal error");
  return new ConnectError("internal error", Code.Internal);
}

function codeName(code: Code | undefined): string {
  return code === undefined ? "OK" : Code[code];
}

/** Where a call's line goes: the logger, and the writer of its RPC line (services/platform/rpc-line.ts). */
interface RpcLog {
  readonly logger: Logger;
  readonly write: RpcLineWriter;
}

/** What the line of every call of one method shares. */
interface MethodLine {
  readonly rpc: string;
  /** Logged at debug level only (probes poll these services). */
  readonly quiet: boolean;
}

/**
 * The interceptor makes no function per call: closures made inside an async
 * function for every call cost more than the rest of it (bench/interceptors.ts
 * on Node 24: 934 ns per call with two of them, 190 ns without, the line
 * built but not written). What a call needs is passed to module functions.
 */
export function createServerInterceptor(logger: Logger): Interceptor {
  const log: RpcLog = { logger, write: rpcLineWriter(logger) };
  // The rpc field and whether it is logged at debug only, made once per method.
  const methods = new Map<object, MethodLine>();
  const describe = (req: UnaryRequest | StreamRequest): MethodLine => {
    let described = methods.get(req.method);
    if (described === undefined) {
      described = { rpc: `${req.service.typeName}/${req.method.name}`, quiet: QUIET_SERVICES.has(req.service.typeName) };
      methods.set(req.method, described);
    }
    return described;
  };
  return (next) => async (req) => {
    const started = performance.now();
    const line = describe(req);
    try {
      const res = await next(req);
      if (!res.stream) {
        logRpc(log, line, req, started, undefined);
        return res;
      }
      return { ...res, message: logWhenStreamEnds(res.message, log, line, req, started) };
    } catch (err) {
      throw failed(err, log, line, req, started);
    }
  };
}

/** Yields the response messages, then logs the call. */
async function* logWhenStreamEnds<T>(source: AsyncIterable<T>, log: RpcLog, line: MethodLine, req: StreamRequest | UnaryRequest, started: number) {
  try {
    yield* source;
    logRpc(log, line, req, started, undefined);
  } catch (err) {
    throw failed(err, log, line, req, started);
  }
}

/** The error the client gets, logged with the call's line. */
function failed(err: unknown, log: RpcLog, line: MethodLine, req: UnaryRequest | StreamRequest, started: number): ConnectError {
  const e = toClientError(err, req.signal, log.logger, line.rpc);
  logRpc(log, line, req, started, e);
  return e;
}

function logRpc(log: RpcLog, line: MethodLine, req: UnaryRequest | StreamRequest, started: number, err: ConnectError | undefined): void {
  const level = line.quiet ? "debug" : "info";
  if (!log.logger.isLevelEnabled(level)) return;
  log.write(level, {
    rpc: line.rpc,
    code: codeName(err?.code),
    durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    peer: req.contextValues.get(peerKey),
    requestId: req.header.get("x-request-id") ?? undefined,
    error: err?.rawMessage,
  });
}
