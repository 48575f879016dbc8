// Starts the OpenTelemetry SDK for traces. main.ts calls it before it imports
// the service (a dynamic import), because the pg instrumentation patches `pg`
// when it is first loaded: a module graph that imported pg earlier would get
// no PostgreSQL spans. pg is CommonJS, so the require hook sees it even when
// ESM imports it; no --import loader hook is needed.
//
// Configured by the standard OTEL_* variables (endpoint, protocol: default
// http/protobuf, headers, sampler, resource attributes). Metrics go to
// Prometheus through prom-client and logs to stdout through pino, so the SDK
// exports neither.
import type { SpanProcessor } from "@opentelemetry/sdk-trace";

export interface TelemetryOptions {
  /** service.name unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES says otherwise. */
  readonly service: string;
  /** config.tracing: when false nothing is loaded or started. */
  readonly enabled: boolean;
  /** Replaces the exporter configured from OTEL_* (tests pass an in-memory one). */
  readonly spanProcessors?: SpanProcessor[];
}

export interface Telemetry {
  /** Exports what is left and stops the SDK. */
  shutdown(): Promise<void>;
}

export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  if (!options.enabled) return { shutdown: async () => undefined };
  // Loaded only when tracing is on: the SDK and its exporters weigh on start-up time and memory.
  const [{ NodeSDK }, { PgInstrumentation }, { defaultResource, resourceFromAttributes }] = await Promise.all([
    import("@opentelemetry/sdk-node"),
    import("@opentelemetry/instrumentation-pg"),
    import("@opentelemetry/resources"),
  ]);
  const sdk = new NodeSDK({
    // The detected resource (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, host, process) is merged over this one.
    resource: defaultResource().merge(resourceFromAttributes({ "service.name": options.service, "service.namespace": "grpc-mesh" })),
    // Only queries made while serving a traced RPC: the readiness ping every second would otherwise start a trace each time.
    instrumentations: [new PgInstrumentation({ requireParentSpan: true })],
    metricReaders: [],
    logRecordProcessors: [],
    ...(options.spanProcessors === undefined ? {} : { spanProcessors: options.spanProcessors }),
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
