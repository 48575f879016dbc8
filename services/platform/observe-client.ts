// The client interceptor of every outbound transport: grpc_client_* metrics for
// every call, and (when tracing is on) a CLIENT span under the active span,
// whose traceparent/tracestate go out in the request headers.
import { ConnectError, type Interceptor } from "@connectrpc/connect";
import { context, type Span, type Tracer } from "@opentelemetry/api";
import { run } from "./intercept-transport.js";
import { countMessages, observeStream } from "./observe-stream.js";
import type { RpcMetrics } from "./rpc-metrics.js";
import { endRpcSpan, startClientSpan, UNTRACED_SERVICES } from "./tracing.js";

export interface ClientInterceptorOptions {
  /** The grpc_client_* families (createRpcMetrics(registry, "client")). */
  readonly metrics: RpcMetrics;
  /** Undefined when tracing is off: then no span is made and no header is added. */
  readonly tracer?: Tracer | undefined;
}

/**
 * One interceptor serves every upstream of a process: the labels come from the
 * method, the span's server.address and server.port from the request URL.
 */
export function createClientInterceptor(options: ClientInterceptorOptions): Interceptor {
  const { metrics, tracer } = options;
  return (next) => (req) => {
    const started = performance.now();
    const m = metrics.forMethod(req.method);
    m.started();
    let span: Span | undefined;
    if (tracer !== undefined && !UNTRACED_SERVICES.has(req.service.typeName)) {
      span = startClientSpan(tracer, req.method, req.url, req.header, context.active());
    }
    const finish = (code: ConnectError["code"] | undefined, err?: ConnectError) => {
      m.handled(code, (performance.now() - started) / 1000);
      if (span !== undefined) endRpcSpan(span, "client", code, err);
    };
    if (req.stream) req = { ...req, message: countMessages(req.message, m.sent) };
    else m.sent();
    // then() rather than an async function: one promise less on every call.
    return run(next, req).then(
      (res) => {
        if (!res.stream) {
          m.received();
          finish(undefined);
          return res;
        }
        return { ...res, message: observeStream(res.message, m.received, finish) };
      },
      (err: unknown) => {
        const e = ConnectError.from(err);
        finish(e.code, e);
        throw err;
      },
    );
  };
}
