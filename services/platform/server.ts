// One server per service process: gRPC, gRPC-Web and Connect on an h2c port,
// the same handlers on an HTTP/1.1 port (cleartext HTTP/2 cannot be negotiated,
// and sniffing the preface on one port cost throughput), gRPC health and
// reflection, and a graceful stop. With a certificate the gRPC port serves TLS
// (or mTLS) and HTTP/1.1 through ALPN, and the cleartext HTTP/1.1 port is off.
import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import type { DescService } from "@bufbuild/protobuf";
import { type ConnectRouter, type Interceptor, type ServiceImpl } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip, connectNodeAdapter } from "@connectrpc/connect-node";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { limitConnectionAge } from "./connection-age.js";
import { CallValues } from "./context-values.js";
import { fastNodeAdapter, type FastAdapterOptions, type FastNodeHandler } from "./fast/adapter.js";
import { withDefaultDeadline } from "./default-deadline.js";
import { HealthRegistry, registerHealth, ServingStatus } from "./health.js";
import { correctDecodeErrors, requestDecompressionErrorsInvalid } from "./decode-errors.js";
import { closeUnreadRequests } from "./early-answers.js";
import { connectionKey, createServerInterceptor, peerKey } from "./interceptors.js";
import { http2ServerOptions, httpServerOptions, limitConnections, resolveLimits } from "./limits.js";
import { createConcurrencyLimit, logShedding } from "./load-shedding.js";
import type { Logger } from "./logger.js";
import { registerReflection } from "./reflection.js";
import type { ServerConfig } from "./service-config.js";
import { serveStreamsFirst } from "./stream-routing.js";
import { adoptStreamTable } from "./stream-table.js";
import { createGrpcListener, type GrpcListener } from "./tls-server.js";

export interface ServerOptions {
  readonly config: ServerConfig;
  readonly logger: Logger;
  /** Interceptors that run inside the logging and error-mapping one. */
  readonly interceptors?: readonly Interceptor[];
  /**
   * The outermost interceptor (metrics and spans): it sees the code the client
   * gets, and its span is active while the logging interceptor writes its line.
   */
  readonly observer?: Interceptor;
  /**
   * Builds the request handler from Connect's adapter options. Default: the fast path
   * (fast/adapter.ts: unary gRPC and Connect served from the descriptors, the rest by connect-node).
   */
  readonly adapter?: (options: FastAdapterOptions) => ReturnType<typeof connectNodeAdapter>;
}

export interface Server {
  /** Health statuses served by grpc.health.v1; every registered service starts NOT_SERVING. */
  readonly health: HealthRegistry;
  /** Aborted when stop() begins: long-lived streams end on it. */
  readonly stopping: AbortSignal;
  /** Calls being served now and calls refused for MAX_CONCURRENT_RPCS since start (health and reflection not counted). */
  load(): { inFlight: number; shed: number };
  /** Mounts a service. Call before listen(). */
  register<S extends DescService>(service: S, impl: Partial<ServiceImpl<S>>): void;
  /** Starts listening; resolves with the bound ports. */
  listen(): Promise<{ port: number; httpPort: number | undefined }>;
  /**
   * Stops gracefully: NOT_SERVING, then GOAWAY to every HTTP/2 session and no new
   * HTTP/1.1 requests; in-flight calls have shutdownGraceMs to finish before
   * their connections are cut.
   */
  stop(): Promise<void>;
}

export function createServer(options: ServerOptions): Server {
  const { config, logger } = options;
  const health = new HealthRegistry();
  const stoppingController = new AbortController();
  const mounted: Array<(router: ConnectRouter) => void> = [];
  const services: DescService[] = [];
  let h2: http2.Http2Server | http2.Http2SecureServer | undefined;
  let h1: http.Server | undefined;
  let listener: GrpcListener | undefined;
  const sessions = new Set<http2.ServerHttp2Session>();
  let stopped: Promise<void> | undefined;
  const limits = resolveLimits(config);
  const concurrency = createConcurrencyLimit({ maxConcurrentRpcs: limits.maxConcurrentRpcs, onShed: logShedding(logger) });

  health.set("", ServingStatus.NOT_SERVING);

  return {
    health,
    stopping: stoppingController.signal,
    load: () => ({ inFlight: concurrency.inFlight(), shed: concurrency.shedTotal() }),
    register(service, impl) {
      services.push(service);
      health.set(service.typeName, ServingStatus.NOT_SERVING);
      mounted.push((router) => router.service(service, withDefaultDeadline(service, impl, limits.defaultDeadlineMs)));
    },
    async listen() {
      const handler = (options.adapter ?? fastNodeAdapter)({
        routes(router) {
          for (const mount of mounted) mount(router);
          registerHealth(router, health, stoppingController.signal);
          registerReflection(router, [...services, Health]);
        },
        interceptors: [
          ...(options.observer === undefined ? [] : [options.observer]),
          createServerInterceptor(logger),
          ...(options.interceptors ?? []),
        ],
        readMaxBytes: config.readMaxBytes,
        writeMaxBytes: config.writeMaxBytes,
        maxTimeoutMs: limits.maxDeadlineMs,
        // The fast path applies the default deadline itself (withDefaultDeadline does for connect-node).
        defaultTimeoutMs: limits.defaultDeadlineMs,
        // Before the body is read: an overloaded server refuses cheaply.
        requestGate(context) {
          correctDecodeErrors(context);
          concurrency.gate(context);
        },
        acceptCompression: [compressionGzip, compressionBrotli].map(requestDecompressionErrorsInvalid),
        contextValues: (req) => {
          const peer = peerOf(req);
          return new CallValues().set(peerKey, peer.address).set(connectionKey, peer.connection);
        },
      });
      listener = createGrpcListener({ tls: config.tls, serverOptions: http2ServerOptions(limits), handler: closeUnreadRequests(handler), logger });
      h2 = listener.server;
      // The fast path takes its calls straight from the stream event (see stream-routing.ts).
      const serveStream = (handler as Partial<FastNodeHandler>).serveStream;
      if (serveStream !== undefined) serveStreamsFirst(h2, serveStream);
      limitConnections(h2, limits);
      limitConnectionAge(h2, { maxAgeMs: config.maxConnectionAgeMs, graceMs: config.maxConnectionAgeGraceMs });
      h2.on("session", (session) => {
        // Node's own table of a session's streams costs young collections dearly under load (see stream-table.ts).
        adoptStreamTable(session);
        sessions.add(session);
        session.once("close", () => sessions.delete(session));
      });
      const port = await listenOn(h2, config.port, config.host);
      let httpPort: number | undefined;
      // Under TLS a cleartext port would let callers bypass it: HTTP/1.1 is served on the TLS port instead.
      if (config.httpPort >= 0 && listener.security !== "h2c") logger.info("TLS on: the cleartext HTTP/1.1 port is off; HTTP/1.1 is served on the gRPC port");
      if (config.httpPort >= 0 && listener.security === "h2c") {
        h1 = http.createServer(httpServerOptions(limits), handler);
        limitConnections(h1, limits);
        h1.keepAliveTimeout = 5_000;
        httpPort = await listenOn(h1, config.httpPort, config.host);
      }
      logger.info({ port, http_port: httpPort, host: config.host, security: listener.security }, "listening");
      return { port, httpPort };
    },
    stop() {
      stopped ??= (async () => {
        health.setAll(ServingStatus.NOT_SERVING);
        stoppingController.abort();
        const closing = [h2 && closed(h2), h1 && closed(h1)];
        for (const session of sessions) session.close();
        h1?.closeIdleConnections();
        listener?.closeIdleHttp1Connections();
        const graceful = Promise.all(closing);
        const timer = setTimeout(() => {
          logger.warn({ sessions: sessions.size }, "grace period over: closing remaining connections");
          for (const session of sessions) session.destroy();
          h1?.closeAllConnections();
          listener?.destroyHttp1Connections();
        }, config.shutdownGraceMs);
        await graceful;
        clearTimeout(timer);
        listener?.close();
        logger.info("server stopped");
      })();
      return stopped;
    },
  };
}

interface Peer {
  readonly address: string;
  readonly connection: string;
}

/** The caller's address, read once per HTTP/2 session: Node answers `req.socket` with a Proxy made per stream. */
const sessionPeers = new WeakMap<http2.Http2Session, Peer>();

function peerOf(req: http.IncomingMessage | http2.Http2ServerRequest): Peer {
  const session = "stream" in req ? req.stream.session : undefined;
  let peer = session === undefined ? undefined : sessionPeers.get(session);
  if (peer === undefined) {
    const socket = session?.socket ?? req.socket;
    peer = { address: socket?.remoteAddress ?? "", connection: `${socket?.remoteAddress ?? ""}:${socket?.remotePort ?? ""}` };
    if (session !== undefined) sessionPeers.set(session, peer);
  }
  return peer;
}

function listenOn(server: http.Server | http2.Http2Server | http2.Http2SecureServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closed(server: http.Server | http2.Http2Server | http2.Http2SecureServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
