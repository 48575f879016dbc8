// RPC spans by the OpenTelemetry RPC conventions, and W3C trace context
// (traceparent, tracestate) carried in request headers, i.e. gRPC metadata.
// Connect-ES has no OpenTelemetry integration and the http instrumentation
// does not see node:http2, so the interceptors make these spans themselves.
import type { DescMethod } from "@bufbuild/protobuf";
import { Code, type ConnectError } from "@connectrpc/connect";
import {
  type Attributes,
  type Context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  trace,
  type Tracer,
} from "@opentelemetry/api";

/** The instrumentation scope of every RPC span. */
export const TRACER_NAME = "grpc-mesh";

/** The tracer RPC spans are made with, or undefined when tracing is off (the interceptors then make no span at all). */
export function rpcTracer(enabled: boolean): Tracer | undefined {
  return enabled ? trace.getTracer(TRACER_NAME) : undefined;
}

/** Probes poll health and tools poll reflection: a trace per poll would drown the real ones. */
export const UNTRACED_SERVICES: ReadonlySet<string> = new Set([
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
]);

export const headerGetter: TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
};

export const headerSetter: TextMapSetter<Headers> = {
  set: (headers, key, value) => headers.set(key, value),
};

/** Server-side codes that mean the server failed; others are the caller's problem and leave the span status unset. */
const SERVER_ERROR_CODES: ReadonlySet<Code> = new Set([
  Code.Unknown,
  Code.DeadlineExceeded,
  Code.Unimplemented,
  Code.Internal,
  Code.Unavailable,
  Code.DataLoss,
]);

function rpcAttributes(method: DescMethod, url: string): Attributes {
  const attributes: Attributes = { "rpc.system": "grpc", "rpc.service": method.parent.typeName, "rpc.method": method.name };
  const parsed = URL.parse(url);
  if (parsed !== null) {
    attributes["server.address"] = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
    const port = Number(parsed.port);
    if (port > 0) attributes["server.port"] = port;
  }
  return attributes;
}

/** Starts a SERVER span, the child of the caller's span when the request carries a traceparent. */
export function startServerSpan(
  tracer: Tracer,
  method: DescMethod,
  url: string,
  header: Headers,
  peer: string,
  root: Context,
): { span: Span; context: Context } {
  const parent = propagation.extract(root, header, headerGetter);
  const attributes = rpcAttributes(method, url);
  if (peer !== "") attributes["network.peer.address"] = peer;
  const span = tracer.startSpan(`${method.parent.typeName}/${method.name}`, { kind: SpanKind.SERVER, attributes }, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/** Starts a CLIENT span under `parent` and writes its trace context into the request headers. */
export function startClientSpan(tracer: Tracer, method: DescMethod, url: string, header: Headers, parent: Context): Span {
  const span = tracer.startSpan(
    `${method.parent.typeName}/${method.name}`,
    { kind: SpanKind.CLIENT, attributes: rpcAttributes(method, url) },
    parent,
  );
  propagation.inject(trace.setSpan(parent, span), header, headerSetter);
  return span;
}

/** Records the status and ends the span. */
export function endRpcSpan(span: Span, kind: "server" | "client", code: Code | undefined, err?: ConnectError): void {
  span.setAttribute("rpc.grpc.status_code", code ?? 0);
  if (code !== undefined && (kind === "client" || SERVER_ERROR_CODES.has(code))) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: err?.rawMessage ?? Code[code] });
  }
  span.end();
}

/** Exports the spans ended so far (the SDK batches them), when an SDK is registered. */
export async function flushSpans(): Promise<void> {
  const provider = trace.getTracerProvider() as { getDelegate?: () => unknown };
  const delegate = (provider.getDelegate?.() ?? provider) as { forceFlush?: () => Promise<void> };
  await delegate.forceFlush?.();
}
