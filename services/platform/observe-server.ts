// The outermost server interceptor: grpc_server_* metrics for every call, and
// a SERVER span per call (not for health and reflection) when tracing is on.
// It runs outside the logging and error-mapping interceptor, so it records
// the code the client gets, and its span is active while that line is logged.
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { context, ROOT_CONTEXT, type Context, type Span, type Tracer } from "@opentelemetry/api";
import { peerKey } from "./interceptors.js";
import { countMessages, observeStream } from "./observe-stream.js";
import type { MethodMetrics, RpcMetrics } from "./rpc-metrics.js";
import { endRpcSpan, startServerSpan, UNTRACED_SERVICES } from "./tracing.js";

export interface ServerObserverOptions {
  readonly metrics: RpcMetrics;
  /** Undefined when tracing is off: then no span, context or attribute is made. */
  readonly tracer?: Tracer | undefined;
}

export function createServerObserver(options: ServerObserverOptions): Interceptor {
  const { metrics, tracer } = options;
  // No closure per unary call (see createServerInterceptor): what a call needs is passed to finish().
  return (next) => async (req) => {
    const started = performance.now();
    const m = metrics.forMethod(req.method);
    m.started();
    let span: Span | undefined;
    let spanContext: Context | undefined;
    if (tracer !== undefined && !UNTRACED_SERVICES.has(req.service.typeName)) {
      ({ span, context: spanContext } = startServerSpan(
        tracer,
        req.method,
        req.url,
        req.header,
        req.contextValues.get(peerKey),
        ROOT_CONTEXT,
      ));
    }
    if (req.stream) req = { ...req, message: countMessages(req.message, m.received) };
    else m.received();
    try {
      const res = spanContext === undefined ? await next(req) : await context.with(spanContext, () => next(req));
      if (!res.stream) {
        m.sent();
        finish(m, started, span, undefined);
        return res;
      }
      // Streaming handlers often end normally when the caller goes away (health
      // Watch does): record what the caller got, as grpc-go's handlers report it.
      const finishStream = (code: Code | undefined, err?: ConnectError) => {
        if (code === undefined && req.signal.aborted) {
          const e = ConnectError.from(req.signal.reason);
          finish(m, started, span, e.code, e);
        } else finish(m, started, span, code, err);
      };
      return { ...res, message: observeStream(res.message, m.sent, finishStream, spanContext) };
    } catch (err) {
      const e = ConnectError.from(err);
      finish(m, started, span, e.code, e);
      throw err;
    }
  };
}

/** Records the call as handled with `code`, and ends its span. */
function finish(m: MethodMetrics, started: number, span: Span | undefined, code: Code | undefined, err?: ConnectError): void {
  m.handled(code, (performance.now() - started) / 1000);
  if (span !== undefined) endRpcSpan(span, "server", code, err);
}
