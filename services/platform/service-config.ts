// The configuration every service shares: listeners, database, logging, seeding, telemetry.
// Each service's config.ts adds its own fields (upstream addresses) on top.
import { readAuthConfig, type AuthConfig } from "./auth-config.js";
import { readChannelConfig, type ChannelConfig } from "./channel/config.js";
import { type Env, EnvReader } from "./config.js";
import { DEFAULT_SERVER_LIMITS, type ServerLimits } from "./limits.js";
import { readTlsConfig, type ClientTlsConfig, type ServerTlsConfig } from "./tls-config.js";
import { DEFAULT_BYTECODE_OLD_AGE } from "./v8-tuning.js";

export const SERVICE_NAMES = ["user", "point", "department", "beer"] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Local default ports; every one can be overridden (USER_PORT, USER_HTTP_PORT, USER_ADMIN_PORT, ...). */
export const DEFAULT_PORTS: Readonly<Record<ServiceName, { grpc: number; http: number; admin: number }>> = {
  user: { grpc: 50051, http: 8081, admin: 9091 },
  point: { grpc: 50052, http: 8082, admin: 9092 },
  department: { grpc: 50053, http: 8083, admin: 9093 },
  beer: { grpc: 50054, http: 8084, admin: 9094 },
};

/** Limits left out of a config built by hand take their defaults (limits.ts). */
export interface ServerConfig extends Partial<ServerLimits> {
  /** Interface to bind. Default 0.0.0.0: the kubelet probes the pod IP. */
  readonly host: string;
  /** h2c port for gRPC, gRPC-Web and Connect over HTTP/2. 0 picks a free port. */
  readonly port: number;
  /** HTTP/1.1 port for Connect and gRPC-Web clients that cannot speak h2c. 0 picks a free port; -1 disables it. */
  readonly httpPort: number;
  /** How long in-flight calls may run after SIGTERM before their connections are cut. */
  readonly shutdownGraceMs: number;
  /**
   * Close each HTTP/2 connection gracefully after about this long (0: never),
   * so long-lived clients spread over replicas added since.
   */
  readonly maxConnectionAgeMs: number;
  /** Open calls on a connection closed for its age get this long to finish. */
  readonly maxConnectionAgeGraceMs: number;
  /** Largest request message accepted, in bytes. */
  readonly readMaxBytes: number;
  /** Largest response message sent, in bytes. */
  readonly writeMaxBytes: number;
  /**
   * TLS_CERT_FILE / TLS_KEY_FILE (and TLS_CLIENT_CA_FILE for mTLS): the gRPC port serves TLS, with
   * HTTP/1.1 on the same port through ALPN, and the cleartext HTTP/1.1 port is off. Undefined: h2c.
   */
  readonly tls?: ServerTlsConfig | undefined;
}

export interface DatabaseConfig {
  /** postgres:// URL; when absent an embedded PGlite database under dataDir is used. */
  readonly url: string | undefined;
  /** PostgreSQL schema holding this service's tables (lets services share one database in development). */
  readonly schema: string;
  /** Folder of the embedded database; undefined keeps it in memory. */
  readonly dataDir: string | undefined;
  readonly poolMax: number;
  /** How long to wait for a pooled connection before failing with UNAVAILABLE. */
  readonly connectTimeoutMs: number;
  /** Server-side statement timeout. */
  readonly statementTimeoutMs: number;
}

export interface ServiceConfig {
  readonly service: ServiceName;
  readonly server: ServerConfig;
  readonly database: DatabaseConfig;
  readonly logLevel: "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";
  /** Insert the reference data set at start (idempotent). */
  readonly seed: boolean;
  /** Apply migrations at start, under the Migrator's advisory lock. */
  readonly migrateOnStart: boolean;
  /** Default deadline of outbound calls, shortened to the inbound call's remaining time. */
  readonly upstreamTimeoutMs: number;
  /** Pooling, balancing and retries of outbound calls. */
  readonly channel: ChannelConfig;
  /** TLS of outbound calls (UPSTREAM_TLS_*); undefined: cleartext. */
  readonly upstreamTls?: ClientTlsConfig | undefined;
  /** Bearer JWT verification and scopes (AUTH_*); off when no key is configured. */
  readonly auth: AuthConfig;
  /**
   * Admin HTTP port (<P>_ADMIN_PORT) serving /metrics, /healthz and /readyz on the server's host.
   * Default 9091 (user), 9092 (point), 9093 (department), 9094 (beer); 0 picks a free port; -1 disables it.
   * When <P>_PORT is 0 the default is 0 as well, so instances on ephemeral ports (tests) never collide.
   */
  readonly adminPort: number;
  /**
   * Whether RPCs make OpenTelemetry spans: true when OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
   * OTEL_EXPORTER_OTLP_ENDPOINT is set, unless OTEL_SDK_DISABLED is true or OTEL_TRACES_EXPORTER is "none".
   * The SDK itself reads the other OTEL_* variables (protocol, headers, sampler, resource attributes).
   */
  readonly tracing: boolean;
  /**
   * Keep V8's allocation-site pretenuring (V8_PRETENURING=true). Off by default: under load it
   * tenures objects of calls in flight, and then young collections keep whole calls (v8-tuning.ts).
   */
  readonly v8Pretenuring: boolean;
  /**
   * Full collections a function may sit out before V8 drops its bytecode (V8_BYTECODE_OLD_AGE,
   * default 1; V8's own default is 6): start-up code stops holding memory in an idle service (v8-tuning.ts).
   */
  readonly v8BytecodeOldAge: number;
}

/**
 * Reads the shared part of a service's configuration. Per-service variables are
 * prefixed with the service name in upper case (USER_PORT); the rest are shared.
 */
export function readServiceConfig(service: ServiceName, reader: EnvReader): ServiceConfig {
  const p = service.toUpperCase();
  const ports = DEFAULT_PORTS[service];
  const dataRoot = reader.string("DATA_DIR", ".data");
  const port = reader.port(`${p}_PORT`, ports.grpc);
  const tls = readTlsConfig(reader);
  return Object.freeze({
    service,
    server: Object.freeze({
      host: reader.string(`${p}_HOST`, "0.0.0.0"),
      port,
      httpPort: reader.int(`${p}_HTTP_PORT`, ports.http, -1, 65535),
      shutdownGraceMs: reader.int("SHUTDOWN_GRACE_MS", 10_000, 0, 600_000),
      maxConnectionAgeMs: reader.int("MAX_CONNECTION_AGE_MS", 300_000, 0, 86_400_000),
      maxConnectionAgeGraceMs: reader.int("MAX_CONNECTION_AGE_GRACE_MS", 30_000, 0, 3_600_000),
      readMaxBytes: reader.int("READ_MAX_BYTES", 4 * 1024 * 1024, 1024, 256 * 1024 * 1024),
      writeMaxBytes: reader.int("WRITE_MAX_BYTES", 16 * 1024 * 1024, 1024, 256 * 1024 * 1024),
      tls: tls.server,
      ...readServerLimits(reader),
    }),
    database: Object.freeze({
      url: reader.string([`${p}_DATABASE_URL`, "DATABASE_URL"]),
      schema: reader.string(`${p}_DATABASE_SCHEMA`, `mesh_${service}`),
      dataDir: dataRoot === ":memory:" ? undefined : `${dataRoot}/${service}`,
      poolMax: reader.int("DATABASE_POOL_MAX", 10, 1, 1000),
      connectTimeoutMs: reader.int("DATABASE_CONNECT_TIMEOUT_MS", 1_000, 1, 60_000),
      statementTimeoutMs: reader.int("DATABASE_STATEMENT_TIMEOUT_MS", 5_000, 1, 600_000),
    }),
    logLevel: reader.oneOf("LOG_LEVEL", "info", ["trace", "debug", "info", "warn", "error", "fatal", "silent"]),
    seed: reader.bool("SEED", false),
    migrateOnStart: reader.bool("MIGRATE_ON_START", true),
    v8Pretenuring: reader.bool("V8_PRETENURING", false),
    v8BytecodeOldAge: reader.int("V8_BYTECODE_OLD_AGE", DEFAULT_BYTECODE_OLD_AGE, 1, 100),
    upstreamTimeoutMs: reader.int("UPSTREAM_TIMEOUT_MS", 2_000, 1, 600_000),
    channel: readChannelConfig(reader),
    upstreamTls: tls.upstream,
    auth: readAuthConfig(reader),
    adminPort: reader.int(`${p}_ADMIN_PORT`, port === 0 ? 0 : ports.admin, -1, 65535),
    tracing: readTracingEnabled(reader),
  });
}

function readServerLimits(reader: EnvReader): ServerLimits {
  const d = DEFAULT_SERVER_LIMITS;
  return {
    defaultDeadlineMs: reader.int("DEFAULT_DEADLINE_MS", d.defaultDeadlineMs, 0, 86_400_000),
    maxDeadlineMs: reader.int("MAX_DEADLINE_MS", d.maxDeadlineMs, 1, 86_400_000),
    maxConcurrentRpcs: reader.int("MAX_CONCURRENT_RPCS", d.maxConcurrentRpcs, 0, 1_000_000),
    http2MaxConcurrentStreams: reader.int("HTTP2_MAX_CONCURRENT_STREAMS", d.http2MaxConcurrentStreams, 1, 2 ** 31 - 1),
    http2MaxSessionMemoryMb: reader.int("HTTP2_MAX_SESSION_MEMORY_MB", d.http2MaxSessionMemoryMb, 1, 4096),
    maxConnections: reader.int("MAX_CONNECTIONS", d.maxConnections, 0, 1_000_000),
    maxHeaderBytes: reader.int("MAX_HEADER_BYTES", d.maxHeaderBytes, 1024, 1024 * 1024),
  };
}

function readTracingEnabled(reader: EnvReader): boolean {
  const endpoint = reader.string(["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"]);
  const exporter = reader.string("OTEL_TRACES_EXPORTER", "otlp");
  return endpoint !== undefined && !reader.bool("OTEL_SDK_DISABLED", false) && exporter !== "none";
}

/** Reads a whole service config from an environment, throwing a ConfigError that names every bad variable. */
export function loadConfig<T>(env: Env, read: (reader: EnvReader) => T): T {
  const reader = new EnvReader(env);
  const config = read(reader);
  reader.done();
  return config;
}
