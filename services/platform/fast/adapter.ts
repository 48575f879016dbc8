// A drop-in for connectNodeAdapter that serves the hot case itself: unary
// gRPC (proto) and unary Connect (proto or JSON, POST) on HTTP/2, without
// compression, straight from the generated descriptors, with the same
// handlers, interceptors, limits and context values. Everything else (streams,
// gRPC-Web, Connect GET, compressed requests, HTTP/1.1, unknown paths) goes to
// connect-node unchanged. Connect's own per-call machinery (an AbortController
// and DOMException per call, async-iterable pipelines, a URL parse) is what
// it saves; see docs/benchmarks/README.md for what that is worth.
import * as http2 from "node:http2";
import { create, isMessage, type DescMessage, type DescMethodUnary } from "@bufbuild/protobuf";
import { ConnectError, createHandlerContext, type HandlerContext, type UnaryRequest, type UnaryResponse } from "@connectrpc/connect";
import { parseTimeout as parseGrpcTimeout } from "@connectrpc/connect/protocol-grpc";
import { parseTimeout as parseConnectTimeout } from "@connectrpc/connect/protocol-connect";
import { compressionBrotli, compressionGzip, connectNodeAdapter, type ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import { CallValues } from "../context-values.js";
import { defaultDeadlineExceeded } from "../default-deadline.js";
import { checkConnectBody, CONNECT_JSON, CONNECT_PROTO } from "./connect-unary.js";
import { webHeaders, type Exchange } from "./exchange.js";
import { checkGrpcEnvelope } from "./grpc-unary.js";
import { MessageEncoder } from "./message-encoder.js";
import { readMethodTable, type FastMethod, type RunImplementation } from "./method-table.js";
import { ServerCall, type ServeSettings } from "./server-call.js";
import { callOf, UnaryCall } from "./unary-call.js";

type NodeHandler = ReturnType<typeof connectNodeAdapter>;
type NodeRequest = Parameters<NodeHandler>[0];

/** Counts of calls by path taken, for tests and benchmarks. */
export interface FastPathStats {
  fast: number;
  fallback: number;
}

export interface FastAdapterOptions extends ConnectNodeAdapterOptions {
  /**
   * The deadline of a unary call that comes without one, in ms (0 or absent: none).
   * The handler sees it as if the client had sent it, and the call is answered
   * DEADLINE_EXCEEDED when it runs out, even if the handler ignores its signal.
   */
  readonly defaultTimeoutMs?: number;
}

/**
 * Takes the options connectNodeAdapter takes and returns a handler that
 * behaves the same. Unary methods mounted with options of their own, and
 * routers configured with `requireConnectProtocolHeader`, keep to connect-node
 * for what those options change.
 */
export function fastNodeAdapter(options: FastAdapterOptions, stats?: FastPathStats): FastNodeHandler {
  const acceptCompression = options.acceptCompression ?? [compressionGzip, compressionBrotli];
  const fallback = connectNodeAdapter({ ...options, acceptCompression });
  const table = readMethodTable(options, runImplementation);
  const serveGrpc = options.grpc !== false;
  const serveConnect = options.connect !== false && options.requireConnectProtocolHeader !== true;
  const maxTimeoutMs = options.maxTimeoutMs ?? Number.MAX_SAFE_INTEGER;
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 0;
  const readMaxBytes = options.readMaxBytes ?? 0xffffffff;
  const acceptEncoding = acceptCompression.length === 0 ? undefined : acceptCompression.map((c) => c.name).join(",");
  const defaultExpired = () => defaultDeadlineExceeded(defaultTimeoutMs);
  const settings: ServeSettings = {
    acceptEncoding,
    jsonOptions: options.jsonOptions,
    readMaxBytes,
    writeMaxBytes: options.writeMaxBytes ?? 0xffffffff,
    encoder: new MessageEncoder({ writeUnknownFields: options.binaryOptions?.writeUnknownFields ?? true }),
    requestGate: options.requestGate,
    checkEnvelope: checkGrpcEnvelope(readMaxBytes),
    checkBody: checkConnectBody(readMaxBytes),
  };

  /** Serves the call and returns true, or returns false without touching the stream. */
  function serve(x: Exchange, headers: http2.IncomingHttpHeaders, nodeRequest: NodeRequest): boolean {
    if (headers[":method"] !== "POST") return false;
    const route = table.get(headers[":path"] ?? "");
    if (route === undefined) return false;
    const contentType = headers["content-type"];
    if (serveGrpc && (contentType === "application/grpc" || contentType === "application/grpc+proto")) {
      const encoding = headers["grpc-encoding"];
      if (encoding !== undefined && encoding !== "identity") return false;
      const timeout = parseGrpcTimeout(single(headers["grpc-timeout"]), maxTimeoutMs);
      run(x, route, "grpc", true, headers, nodeRequest, timeout);
      return true;
    }
    if (serveConnect && (contentType === CONNECT_PROTO || contentType === CONNECT_JSON)) {
      const encoding = headers["content-encoding"];
      if (encoding !== undefined && encoding !== "identity") return false;
      const timeout = parseConnectTimeout(single(headers["connect-timeout-ms"]), maxTimeoutMs);
      run(x, route, "connect", contentType === CONNECT_PROTO, headers, nodeRequest, timeout);
      return true;
    }
    return false;
  }

  function run(
    x: Exchange,
    route: FastMethod,
    protocol: "grpc" | "connect",
    binary: boolean,
    headers: http2.IncomingHttpHeaders,
    nodeRequest: NodeRequest,
    requested: { timeoutMs?: number; error?: ConnectError },
  ): void {
    if (stats !== undefined) stats.fast++;
    const defaulted = requested.timeoutMs === undefined && requested.error === undefined && defaultTimeoutMs > 0;
    const timeout = defaulted ? { timeoutMs: defaultTimeoutMs } : requested;
    const stream = x.stream;
    const session = stream.session;
    const authority = headers[":authority"] ?? headers.host ?? "localhost";
    const call = new UnaryCall({
      service: route.service,
      method: route.method,
      protocolName: protocol,
      url: `${session?.encrypted === true ? "https" : "http"}://${authority}${headers[":path"]}`,
      requestHeader: webHeaders(headers),
      values: options.contextValues?.(nodeRequest) ?? new CallValues(),
      timeoutMs: timeout.timeoutMs,
      shutdownSignal: options.shutdownSignal,
      // The server's own deadline ends the call even if the handler never looks at its signal.
      enforcedDeadline: defaulted ? defaultExpired : undefined,
    });
    new ServerCall(settings, x, route, protocol, binary, headers, timeout.error, call).start();
  }

  const handler = ((req, res) => {
    if ("stream" in req && serve({ stream: req.stream, response: res as http2.Http2ServerResponse }, req.headers, req)) return;
    if (stats !== undefined) stats.fallback++;
    fallback(req, res);
  }) as FastNodeHandler;
  handler.serveStream = (stream, headers) => serve({ stream }, headers, new StreamRequest(stream, headers) as unknown as NodeRequest);
  return handler;
}

/**
 * The request handler, and a second way in: `serveStream` takes a call from
 * the HTTP/2 server's `stream` event, before Node builds its compatibility
 * request and response objects (about 5% of a call), and answers it, or
 * returns false without touching the stream, which then goes the usual way
 * (createServer: services/platform/stream-routing.ts).
 */
export type FastNodeHandler = NodeHandler & {
  serveStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): boolean;
};

/**
 * What `contextValues` gets for a call taken from the stream event, in place
 * of Node's Http2ServerRequest: its stream, headers, socket, method, url and
 * HTTP version, the members a context-values function reads.
 */
class StreamRequest {
  readonly httpVersion = "2.0";
  readonly httpVersionMajor = 2;
  readonly httpVersionMinor = 0;

  constructor(
    readonly stream: http2.ServerHttp2Stream,
    readonly headers: http2.IncomingHttpHeaders,
  ) {}

  get socket() {
    return this.stream.session?.socket;
  }

  get method() {
    return this.headers[":method"];
  }

  get url() {
    return this.headers[":path"];
  }

  get authority() {
    return this.headers[":authority"];
  }

  get scheme() {
    return this.headers[":scheme"];
  }
}

/** The innermost function of every method's interceptor chain: Connect's invokeUnaryImplementation, per call. */
const runImplementation: RunImplementation = async (method, impl, req) => {
  const call = callOf(req);
  const context = call === undefined ? detachedContext(method, req) : call.context(req);
  const result = (impl as (m: unknown, c: HandlerContext) => unknown)(req.message, context);
  // A call under the server's default deadline fails at the deadline, whatever the handler does,
  // so the interceptors see DEADLINE_EXCEEDED as the caller does.
  const output = normalize(method.output, await (call?.enforcesDeadline === true ? call.race(result) : result));
  if (call !== undefined) return call.respond(output);
  return { stream: false, service: req.service, method, header: context.responseHeader, trailer: context.responseTrailer, message: output } as UnaryResponse;
};

function normalize(desc: DescMessage, message: unknown): unknown {
  return isMessage(message, desc) ? message : create(desc, message as never);
}

/** A context for a request an interceptor made from scratch (no link to its call). */
function detachedContext(method: DescMethodUnary, req: UnaryRequest): HandlerContext {
  return createHandlerContext({
    service: req.service,
    method,
    protocolName: "grpc",
    requestMethod: req.requestMethod,
    url: req.url,
    requestSignal: req.signal,
    requestHeader: req.header,
    contextValues: req.contextValues,
  });
}

function single(value: string | string[] | undefined): string | null {
  return value === undefined ? null : typeof value === "string" ? value : (value[0] ?? null);
}

