// Outbound clients are built here, one transport per upstream, so the channel
// layer can replace the transport without touching handlers; and every outbound
// call carries the inbound call's remaining deadline and cancellation.
import { Code, ConnectError, type CallOptions, type HandlerContext, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";

export interface Upstream {
  readonly address: string;
  readonly transport: Transport;
  /** Closes the upstream's connections. */
  close(): void;
}

export interface UpstreamOptions {
  /** Largest response message accepted, in bytes. */
  readonly readMaxBytes: number;
}

/** A gRPC transport over one HTTP/2 connection to host:port. */
export function createUpstream(address: string, options: UpstreamOptions): Upstream {
  const baseUrl = `http://${address.replace(/^dns:\/\/\//, "")}`;
  const sessionManager = new Http2SessionManager(baseUrl, { idleConnectionTimeoutMs: 60_000 });
  const transport = createGrpcTransport({ baseUrl, sessionManager, readMaxBytes: options.readMaxBytes });
  return { address, transport, close: () => sessionManager.abort() };
}

/**
 * Options for a call made while serving `ctx`: its signal, a deadline of
 * min(remaining inbound time, defaultTimeoutMs), and the request id. Fails fast
 * with DEADLINE_EXCEEDED, sending nothing, when the inbound budget is spent
 * (a timeout of 0 would disable the deadline instead).
 */
export function upstreamCallOptions(ctx: HandlerContext, defaultTimeoutMs: number): CallOptions {
  const remaining = ctx.timeoutMs();
  if (ctx.signal.aborted) throw ctx.signal.reason instanceof ConnectError ? ctx.signal.reason : new ConnectError("canceled", Code.Canceled);
  if (remaining !== undefined && remaining <= 0) {
    throw new ConnectError("deadline exceeded before the upstream call was sent", Code.DeadlineExceeded);
  }
  const requestId = ctx.requestHeader.get("x-request-id");
  return {
    signal: ctx.signal,
    timeoutMs: remaining === undefined ? defaultTimeoutMs : Math.max(1, Math.min(remaining, defaultTimeoutMs)),
    ...(requestId === null ? {} : { headers: { "x-request-id": requestId } }),
  };
}
