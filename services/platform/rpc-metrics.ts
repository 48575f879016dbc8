// The RPC metric families of go-grpc-prometheus, for the server or the client
// side, so dashboards written for Go services work on these ones unchanged.
import type { DescMethod } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import type { Registry } from "prom-client";
import { CounterFamily, HistogramFamily, type CounterSeries } from "./bound-metrics.js";

export type RpcSide = "server" | "client";

/** go-grpc-prometheus's default buckets (Prometheus DefBuckets), in seconds. */
export const HANDLING_SECONDS_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** grpc_type label values, as go-grpc-prometheus spells them. */
const GRPC_TYPES: Readonly<Record<DescMethod["methodKind"], string>> = {
  unary: "unary",
  server_streaming: "server_stream",
  client_streaming: "client_stream",
  bidi_streaming: "bidi_stream",
};

/** Status code names as grpc-go's codes.Code.String() prints them (the grpc_code label). */
const CODE_NAMES: Readonly<Record<Code, string>> = {
  [Code.Canceled]: "Canceled",
  [Code.Unknown]: "Unknown",
  [Code.InvalidArgument]: "InvalidArgument",
  [Code.DeadlineExceeded]: "DeadlineExceeded",
  [Code.NotFound]: "NotFound",
  [Code.AlreadyExists]: "AlreadyExists",
  [Code.PermissionDenied]: "PermissionDenied",
  [Code.ResourceExhausted]: "ResourceExhausted",
  [Code.FailedPrecondition]: "FailedPrecondition",
  [Code.Aborted]: "Aborted",
  [Code.OutOfRange]: "OutOfRange",
  [Code.Unimplemented]: "Unimplemented",
  [Code.Internal]: "Internal",
  [Code.Unavailable]: "Unavailable",
  [Code.DataLoss]: "DataLoss",
  [Code.Unauthenticated]: "Unauthenticated",
};

/** The grpc_code label of a status: "OK" for success (undefined). */
export function grpcCodeName(code: Code | undefined): string {
  return code === undefined ? "OK" : (CODE_NAMES[code] ?? "Unknown");
}

export function grpcType(method: DescMethod): string {
  return GRPC_TYPES[method.methodKind];
}

/** The metrics of one method, with label values bound once. */
export interface MethodMetrics {
  started(): void;
  received(): void;
  sent(): void;
  /** Counts the call as handled with `code` and observes its duration. */
  handled(code: Code | undefined, seconds: number): void;
}

export interface RpcMetrics {
  forMethod(method: DescMethod): MethodMetrics;
}

/**
 * Registers grpc_<side>_started_total, _handled_total, _msg_received_total,
 * _msg_sent_total and _handling_seconds in `registry`.
 */
export function createRpcMetrics(registry: Registry, side: RpcSide): RpcMetrics {
  // Help texts as go-grpc-prometheus words them.
  const on = side === "server" ? "on the server" : "by the client";
  const started = new CounterFamily(`grpc_${side}_started_total`, `Total number of RPCs started on the ${side}.`, registry);
  const handled = new CounterFamily(`grpc_${side}_handled_total`, `Total number of RPCs completed ${on}, regardless of success or failure.`, registry);
  const received = new CounterFamily(`grpc_${side}_msg_received_total`, `Total number of RPC stream messages received ${on}.`, registry);
  const sent = new CounterFamily(`grpc_${side}_msg_sent_total`, `Total number of gRPC stream messages sent by the ${side}.`, registry);
  const seconds = new HistogramFamily(
    `grpc_${side}_handling_seconds`,
    side === "server"
      ? "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server."
      : "Histogram of response latency (seconds) of the gRPC until it is finished by the application.",
    registry,
    HANDLING_SECONDS_BUCKETS,
  );

  // Each method's series are bound on its first call (bounded by the methods,
  // times codes seen, this process serves or calls); an update is then an
  // addition (services/platform/bound-metrics.ts).
  const byMethod = new Map<DescMethod, MethodMetrics>();
  const bind = (method: DescMethod): MethodMetrics => {
    const labels = { grpc_type: grpcType(method), grpc_service: method.parent.typeName, grpc_method: method.name };
    // Present from the first call on, at 0, as go-grpc-prometheus pre-registers them: rate() needs a start.
    const startedSeries = started.series(labels);
    const receivedSeries = received.series(labels);
    const sentSeries = sent.series(labels);
    const secondsSeries = seconds.series(labels);
    // Indexed by code + 1 (OK is undefined, at 0).
    const handledByCode: Array<CounterSeries | undefined> = [];
    return {
      started: () => startedSeries.inc(),
      received: () => receivedSeries.inc(),
      sent: () => sentSeries.inc(),
      handled(code, elapsed) {
        const i = code === undefined ? 0 : code + 1;
        (handledByCode[i] ??= handled.series({ ...labels, grpc_code: grpcCodeName(code) })).inc();
        secondsSeries.observe(elapsed);
      },
    };
  };
  return {
    forMethod(method) {
      let metrics = byMethod.get(method);
      if (metrics === undefined) byMethod.set(method, (metrics = bind(method)));
      return metrics;
    },
  };
}
