// What a Channel is built from (its options, with the defaults it fills in)
// and what it reports (its stats and events): the channel's contract, apart
// from how it keeps it (channel.ts).
import type { DescMethodUnary } from "@bufbuild/protobuf";
import type { Code, Interceptor } from "@connectrpc/connect";
import type { EjectionOptions } from "./endpoint.js";
import type { Resolver } from "./resolver.js";
import type { RetryOptions } from "./retry.js";
import type { SessionOptions, TlsConnectOptions } from "./session.js";

export type BalancingPolicy = "round_robin" | "least_outstanding";

export interface ChannelOptions {
  /** Where the replicas are. */
  readonly resolver: Resolver;
  /** Name used in errors and stats, e.g. the target string. */
  readonly name: string;
  /** HTTP/2 connections per replica. Default 2. */
  readonly sessionsPerEndpoint?: number;
  /** Default round_robin. */
  readonly policy?: BalancingPolicy;
  /** Re-resolve a DNS target this often. Default 30 s. */
  readonly resolveIntervalMs?: number;
  /** Service name watched through grpc.health.v1 on every replica; undefined: no watch. */
  readonly healthService?: string;
  readonly session?: Partial<SessionOptions>;
  readonly retry?: Partial<RetryOptions>;
  readonly ejection?: Partial<EjectionOptions>;
  /** Send a second attempt of a read to another replica when the first has not answered after this long; 0: off. */
  readonly hedgeDelayMs?: number;
  readonly readMaxBytes?: number;
  /** Client interceptors, run for every attempt. */
  readonly interceptors?: readonly Interceptor[];
  /** Unary calls on the lean gRPC client (services/platform/fast/unary-client.ts); false: connect-node's transport. Default true. */
  readonly leanUnary?: boolean;
  /** Told of retries and refusals, e.g. to count them in metrics. */
  readonly events?: ChannelEvents;
  /** TLS options of every connection (read at each dial); undefined: cleartext h2c. */
  readonly tls?: TlsConnectOptions;
}

export interface ChannelEvents {
  /** An attempt of `method` failed with `code` and is being sent again (transparent: it never reached a server). */
  onRetry?(method: DescMethodUnary, code: Code, transparent: boolean): void;
  /** A retry was not made because the budget was spent. */
  onBudgetExhausted?(): void;
}

export interface EndpointStats {
  readonly address: string;
  readonly serving: boolean;
  readonly ejected: boolean;
  readonly inFlight: number;
  readonly picks: number;
  readonly openSessions: number;
  readonly ejections: number;
}

export interface ChannelStats {
  readonly endpoints: readonly EndpointStats[];
  readonly calls: number;
  /** Retries of calls that may have been processed (reads), within the budget. */
  readonly retries: number;
  /** Calls that never reached a server, sent again to another replica. */
  readonly transparentRetries: number;
  readonly hedges: number;
  readonly budgetExhausted: number;
  readonly budgetTokens: number;
}

export const DEFAULT_SESSION_OPTIONS: SessionOptions = {
  keepaliveMs: 30_000,
  keepaliveTimeoutMs: 10_000,
  idleTimeoutMs: 300_000,
  connectTimeoutMs: 2_000,
};

export const DEFAULT_EJECTION: EjectionOptions = { consecutiveFailures: 5, baseMs: 1_000, maxMs: 10_000 };
