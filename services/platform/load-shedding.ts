// A cap on the RPCs a process serves at once. The excess is refused at once
// with RESOURCE_EXHAUSTED, before its body is read, and never queued: a queue
// only adds latency to calls whose callers are about to give up anyway.
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { callEnded, onCallEnd } from "./call-end.js";
import { ERROR_DOMAIN } from "./errors.js";
import type { Logger } from "./logger.js";

/** Services that always answer, however busy the server: probes and tools must get through. */
export const UNLIMITED_SERVICES: ReadonlySet<string> = new Set([
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
]);

export interface ConcurrencyLimitOptions {
  /** RPCs served at once; 0 turns the cap off. */
  readonly maxConcurrentRpcs: number;
  /** Backoff suggested to refused callers. Default 100 ms. */
  readonly retryAfterMs?: number;
  /** Told of every refused call (for a log line or a metric). */
  readonly onShed?: (context: HandlerContext) => void;
}

export interface ConcurrencyLimit {
  /** A Connect requestGate: counts the call, or throws RESOURCE_EXHAUSTED when the server is full. */
  readonly gate: (context: HandlerContext) => void;
  /** Calls being served now (exempt services not counted). */
  inFlight(): number;
  /** Calls refused since start. */
  shedTotal(): number;
}

export function createConcurrencyLimit(options: ConcurrencyLimitOptions): ConcurrencyLimit {
  const max = options.maxConcurrentRpcs;
  const retryAfterMs = options.retryAfterMs ?? 100;
  let inFlight = 0;
  let shed = 0;
  const release = () => inFlight--;
  return {
    gate(context) {
      if (max <= 0 || UNLIMITED_SERVICES.has(context.service.typeName)) return;
      // Already over (a deadline of 0, a caller gone): it ends without running, and its
      // end will never come again to release a slot.
      if (callEnded(context)) return;
      if (inFlight >= max) {
        shed++;
        options.onShed?.(context);
        throw overloaded(max, retryAfterMs);
      }
      inFlight++;
      onCallEnd(context, release);
    },
    inFlight: () => inFlight,
    shedTotal: () => shed,
  };
}

function overloaded(max: number, retryAfterMs: number): ConnectError {
  return new ConnectError(`the server is serving its maximum of ${max} calls; retry after ${retryAfterMs} ms`, Code.ResourceExhausted, undefined, [
    {
      desc: ErrorInfoSchema,
      value: create(ErrorInfoSchema, {
        reason: "SERVER_OVERLOADED",
        domain: ERROR_DOMAIN,
        metadata: { max_concurrent_rpcs: String(max), retry_after_ms: String(retryAfterMs) },
      }),
    },
    { desc: RetryInfoSchema, value: create(RetryInfoSchema, { retryDelay: durationFromMs(retryAfterMs) }) },
  ]);
}

/** An onShed that logs a warning at most once a second, with the count refused since the last one. */
export function logShedding(logger: Logger, intervalMs = 1_000): (context: HandlerContext) => void {
  let last = 0;
  let since = 0;
  return (context) => {
    since++;
    const now = Date.now();
    if (now - last < intervalMs) return;
    logger.warn({ rpc: `${context.service.typeName}/${context.method.name}`, shed: since }, "overloaded: refusing calls");
    last = now;
    since = 0;
  };
}
