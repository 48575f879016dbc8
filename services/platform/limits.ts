// The limits a server puts on its callers, with their defaults, and the
// node:http2 / node:http listener options they become.
import type * as http from "node:http";
import type * as http2 from "node:http2";

export interface ServerLimits {
  /**
   * Deadline of a unary call that arrives without one (DEFAULT_DEADLINE_MS): the
   * handler's ctx.signal aborts and ctx.timeoutMs() counts down as if the client
   * had sent it, and the call ends with DEADLINE_EXCEEDED. Streams get none.
   * 0 turns it off. Default 10 000.
   */
  readonly defaultDeadlineMs: number;
  /**
   * Largest deadline a client may ask for (MAX_DEADLINE_MS): a larger one is
   * INVALID_ARGUMENT (Connect's maxTimeoutMs). Default 3 600 000 (1 h).
   */
  readonly maxDeadlineMs: number;
  /**
   * RPCs served at once by the process (MAX_CONCURRENT_RPCS); a call beyond it is
   * refused at once with RESOURCE_EXHAUSTED, before its body is read. Health and
   * reflection are exempt. An open stream holds one slot. 0 turns it off. Default 256.
   */
  readonly maxConcurrentRpcs: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS of every HTTP/2 connection (HTTP2_MAX_CONCURRENT_STREAMS). Default 100. */
  readonly http2MaxConcurrentStreams: number;
  /**
   * Memory an HTTP/2 connection may hold, in MiB (HTTP2_MAX_SESSION_MEMORY_MB);
   * beyond it node refuses new streams on that connection. Default 10 (node's own).
   */
  readonly http2MaxSessionMemoryMb: number;
  /** Open connections per listener (MAX_CONNECTIONS); more are closed on accept. 0: no cap. Default 1000. */
  readonly maxConnections: number;
  /**
   * Largest request header block in bytes (MAX_HEADER_BYTES): HTTP/1.1 maxHeaderSize
   * and HTTP/2 SETTINGS_MAX_HEADER_LIST_SIZE. Default 16 384.
   */
  readonly maxHeaderBytes: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = Object.freeze({
  defaultDeadlineMs: 10_000,
  maxDeadlineMs: 3_600_000,
  maxConcurrentRpcs: 256,
  http2MaxConcurrentStreams: 100,
  http2MaxSessionMemoryMb: 10,
  maxConnections: 1_000,
  maxHeaderBytes: 16_384,
});

/** The limits of a config in which any may be missing (configs built by hand): defaults fill the gaps. */
export function resolveLimits(config: Partial<ServerLimits>): ServerLimits {
  const limits = { ...DEFAULT_SERVER_LIMITS };
  for (const key of Object.keys(limits) as Array<keyof ServerLimits>) {
    const value = config[key];
    if (value !== undefined) limits[key] = value;
  }
  return Object.freeze(limits);
}

export function http2ServerOptions(limits: ServerLimits): http2.ServerOptions {
  return {
    settings: { maxConcurrentStreams: limits.http2MaxConcurrentStreams, maxHeaderListSize: limits.maxHeaderBytes },
    maxSessionMemory: limits.http2MaxSessionMemoryMb,
  };
}

export function httpServerOptions(limits: ServerLimits): http.ServerOptions {
  return { maxHeaderSize: limits.maxHeaderBytes };
}

/** Applies the connection cap to a listener (net.Server.maxConnections; undefined means no cap). */
export function limitConnections(server: http.Server | http2.Http2Server, limits: ServerLimits): void {
  if (limits.maxConnections > 0) server.maxConnections = limits.maxConnections;
}
