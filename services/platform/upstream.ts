// Outbound clients are built here, one channel per upstream (pooled, balanced,
// health-aware, retrying: see channel/), and every outbound call carries the
// inbound call's remaining deadline, cancellation and credentials. With
// UPSTREAM_TLS_* the connections are TLS, presenting a client certificate for mTLS.
import { isIP } from "node:net";
import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type CallOptions, type HandlerContext, type Interceptor, type Transport } from "@connectrpc/connect";
import { Channel } from "./channel/channel.js";
import type { ChannelEvents, ChannelStats } from "./channel/options.js";
import type { ChannelConfig } from "./channel/config.js";
import { resolverFor } from "./channel/resolver.js";
import type { TlsConnectOptions } from "./channel/session.js";
import { interceptTransport } from "./intercept-transport.js";
import type { Logger } from "./logger.js";
import type { MeshMetrics } from "./metrics.js";
import { grpcCodeName } from "./rpc-metrics.js";
import type { ClientTlsConfig } from "./tls-config.js";
import { loadTlsFiles, type TlsFiles } from "./tls-files.js";

export interface Upstream {
  /** The target as configured: host:port, a list, or dns:///name:port. */
  readonly address: string;
  readonly transport: Transport;
  stats(): ChannelStats;
  /** Closes the upstream's connections gracefully. */
  close(): void;
}

export interface UpstreamOptions {
  /** The service called: its health is watched on every replica. */
  readonly service: DescService;
  readonly channel: ChannelConfig;
  /** Largest response message accepted, in bytes. */
  readonly readMaxBytes: number;
  /** Pool and retry metrics. */
  readonly metrics?: MeshMetrics;
  /** Client interceptors run once per logical call (around retries), e.g. grpc_client_* metrics and spans. */
  readonly interceptors?: readonly Interceptor[];
  /** TLS to the upstream (its files are reloaded when they change); undefined: cleartext h2c. */
  readonly tls?: ClientTlsConfig | undefined;
  /** Where TLS file reloads are logged; needed with `tls`. */
  readonly logger?: Logger;
}

/** A channel to every replica behind `target`. */
export function createUpstream(target: string, options: UpstreamOptions): Upstream {
  const config = options.channel;
  const tls = options.tls === undefined ? undefined : upstreamTls(target, options.tls, options.logger);
  const channel = new Channel({
    name: target,
    resolver: resolverFor(target),
    healthService: options.service.typeName,
    sessionsPerEndpoint: config.sessionsPerEndpoint,
    policy: config.policy,
    resolveIntervalMs: config.resolveIntervalMs,
    session: { keepaliveMs: config.keepaliveMs, idleTimeoutMs: config.idleTimeoutMs },
    retry: { maxAttempts: config.retryMaxAttempts, budgetTokens: config.retryBudgetTokens },
    hedgeDelayMs: config.hedgeDelayMs,
    readMaxBytes: options.readMaxBytes,
    ...(options.metrics === undefined ? {} : { events: channelEvents(target, options.metrics) }),
    ...(tls === undefined ? {} : { tls: tls.connectOptions }),
  });
  const stopMetrics = options.metrics === undefined ? () => {} : exportChannelMetrics(target, channel, options.metrics);
  const baseUrl = `${tls === undefined ? "http" : "https"}://${target.replace(/^dns:\/\/\//, "").split(",")[0]}`;
  return {
    address: target,
    transport: interceptTransport(channel, options.interceptors ?? [], baseUrl),
    stats: () => channel.stats(),
    close() {
      stopMetrics();
      channel.close();
      tls?.files.close();
    },
  };
}

/**
 * The TLS options of every connection to `target`. Replicas of a dns:/// target
 * are dialled by IP address, so their certificates are checked against the DNS
 * name (or UPSTREAM_TLS_SERVER_NAME); a host:port target is checked against its host.
 */
function upstreamTls(target: string, config: ClientTlsConfig, logger: Logger | undefined): { files: TlsFiles; connectOptions: TlsConnectOptions } {
  if (logger === undefined) throw new Error("createUpstream: a logger is needed with tls");
  const files = loadTlsFiles({
    paths: { ca: config.caFile, cert: config.certFile, key: config.keyFile },
    role: `upstream ${target}`,
    reloadIntervalMs: config.reloadIntervalMs,
    logger,
  });
  const dnsName = /^dns:\/\/\/(.+):\d+$/.exec(target)?.[1];
  const serverName = config.serverName ?? (dnsName !== undefined && isIP(dnsName) === 0 ? dnsName : undefined);
  return {
    files,
    connectOptions: () => {
      const { ca, cert, key } = files.current();
      return {
        ALPNProtocols: ["h2"],
        minVersion: "TLSv1.2",
        ...(ca === undefined ? {} : { ca }),
        ...(cert === undefined || key === undefined ? {} : { cert, key }),
        ...(serverName === undefined ? {} : { servername: serverName }),
      };
    },
  };
}

function channelEvents(upstream: string, metrics: MeshMetrics): ChannelEvents {
  return {
    onRetry(method, code) {
      metrics.retries.inc({ upstream, grpc_service: method.parent.typeName, grpc_method: method.name, grpc_code: grpcCodeName(code) });
    },
    onBudgetExhausted() {
      metrics.retryBudgetExhausted.inc({ upstream });
    },
  };
}

/** Sets the pool gauges from the channel's state every few seconds. */
function exportChannelMetrics(upstream: string, channel: Channel, metrics: MeshMetrics): () => void {
  const update = () => {
    const stats = channel.stats();
    metrics.poolEndpoints.set({ upstream }, stats.endpoints.filter((e) => e.serving && !e.ejected).length);
    metrics.poolSessions.set({ upstream, state: "ready" }, stats.endpoints.reduce((n, e) => n + e.openSessions, 0));
  };
  update();
  const timer = setInterval(update, 5_000);
  timer.unref();
  return () => {
    clearInterval(timer);
    update();
  };
}

/**
 * Options for a call made while serving `ctx`: its signal, a deadline of
 * min(remaining inbound time, defaultTimeoutMs), the request id, and the
 * caller's authorization header (a peer that requires a token for the call
 * sees the original caller's rights, never more). Fails fast
 * with DEADLINE_EXCEEDED, sending nothing, when the inbound budget is spent
 * (a timeout of 0 would disable the deadline instead).
 */
export function upstreamCallOptions(ctx: HandlerContext, defaultTimeoutMs: number): CallOptions {
  const remaining = ctx.timeoutMs();
  if (ctx.signal.aborted) throw ctx.signal.reason instanceof ConnectError ? ctx.signal.reason : new ConnectError("canceled", Code.Canceled);
  if (remaining !== undefined && remaining <= 0) {
    throw new ConnectError("deadline exceeded before the upstream call was sent", Code.DeadlineExceeded);
  }
  const headers: Record<string, string> = {};
  const requestId = ctx.requestHeader.get("x-request-id");
  if (requestId !== null) headers["x-request-id"] = requestId;
  const authorization = ctx.requestHeader.get("authorization");
  if (authorization !== null) headers.authorization = authorization;
  return {
    signal: ctx.signal,
    timeoutMs: remaining === undefined ? defaultTimeoutMs : Math.max(1, Math.min(remaining, defaultTimeoutMs)),
    ...(Object.keys(headers).length === 0 ? {} : { headers }),
  };
}
