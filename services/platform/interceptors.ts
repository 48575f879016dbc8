// The server interceptor every service runs: one log line per RPC, and the one
// place where errors become what a client may see.
import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import { databaseErrorToConnectError } from "./errors.js";
import type { Logger } from "./logger.js";

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
 */
export function toClientError(err: unknown, signal: AbortSignal, log: Logger): ConnectError {
  if (signal.aborted && signal.reason instanceof ConnectError) return signal.reason;
  if (err instanceof ConnectError) {
    if (!err.isWireError) return err;
    if (PASS_THROUGH_UPSTREAM.has(err.code)) return new ConnectError(`upstream: ${err.rawMessage}`, err.code);
    log.error({ err }, "unexpected upstream error");
    return new ConnectError("internal error", Code.Internal);
  }
  const mapped = databaseErrorToConnectError(err);
  if (mapped !== undefined) {
    if (mapped.code === Code.Unavailable) log.warn({ err }, "database unavailable");
    return mapped;
  }
  log.error({ err }, "internal error");
  return new ConnectError("internal error", Code.Internal);
}

function codeName(code: Code | undefined): string {
  return code === undefined ? "OK" : Code[code];
}

/** The line logged for every RPC. */
interface RpcLine {
  rpc: string;
  code: string;
  duration_ms: number;
  peer: string;
  request_id: string | undefined;
  error?: string;
}

export function createServerInterceptor(logger: Logger): Interceptor {
  // The rpc field and whether it is logged at debug only, made once per method.
  const methods = new Map<object, { rpc: string; quiet: boolean }>();
  const describe = (req: { service: { typeName: string }; method: { name: string } }) => {
    let described = methods.get(req.method);
    if (described === undefined) {
      described = { rpc: `${req.service.typeName}/${req.method.name}`, quiet: QUIET_SERVICES.has(req.service.typeName) };
      methods.set(req.method, described);
    }
    return described;
  };
  return (next) => async (req) => {
    const started = performance.now();
    const { rpc, quiet } = describe(req);
    // A child logger only when something goes wrong: pino serializes a child's bindings when
    // it is made, which cost more than the line itself on every call.
    let child: Logger | undefined;
    const log = () => (child ??= logger.child({ rpc }));
    const done = (code: Code | undefined, err?: ConnectError) => {
      if (quiet && !logger.isLevelEnabled("debug")) return;
      const fields: RpcLine = {
        rpc,
        code: codeName(code),
        duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
        peer: req.contextValues.get(peerKey),
        request_id: req.header.get("x-request-id") ?? undefined,
      };
      if (err !== undefined) fields.error = err.rawMessage;
      if (quiet) logger.debug(fields, "rpc");
      else logger.info(fields, "rpc");
    };
    try {
      const res = await next(req);
      if (!res.stream) {
        done(undefined);
        return res;
      }
      const source = res.message;
      return {
        ...res,
        message: (async function* () {
          try {
            yield* source;
            done(undefined);
          } catch (err) {
            const e = toClientError(err, req.signal, log());
            done(e.code, e);
            throw e;
          }
        })(),
      };
    } catch (err) {
      const e = toClientError(err, req.signal, log());
      done(e.code, e);
      throw e;
    }
  };
}
