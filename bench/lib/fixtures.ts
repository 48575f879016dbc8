// What the benchmark roles share: the server configuration, the database, the
// GetUser request and the answer the echo handler gives.
import { create, toBinary } from "@bufbuild/protobuf";
import { GetUserRequestSchema } from "../../gen/mesh/user/v1/user_pb.js";
import type { DatabaseConfig, ServerConfig } from "../../services/platform/service-config.js";

/** CI's PostgreSQL (scripts/postgres.sh start). */
export const DEFAULT_DATABASE_URL = "postgres://mesh:mesh@127.0.0.1:5432/mesh_test";

/** George Costanza, of the reference data. */
export const GEORGE_ID = "01900000-0000-7000-8000-000000000007";

/** What the echo handler answers (the id is the request's). */
export const ECHO_USER = {
  id: GEORGE_ID,
  name: "George Costanza",
  email: "george.costanza@example.com",
  age: 40,
  salary: 90000,
  departmentId: "01900000-0000-7000-8000-0000000000d3",
};

/**
 * Our server as production configures it (READ_MAX_BYTES, WRITE_MAX_BYTES and
 * the limits' defaults), except: ephemeral ports on loopback, no connection
 * age (a GOAWAY mid-measurement would measure reconnection), and no
 * concurrency cap (so 1000 in flight measures serving, not refusing).
 */
export function benchServerConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  return {
    host: "127.0.0.1",
    port: 0,
    httpPort: -1,
    shutdownGraceMs: 1_000,
    maxConnectionAgeMs: 0,
    maxConnectionAgeGraceMs: 0,
    readMaxBytes: 4 * 1024 * 1024,
    writeMaxBytes: 16 * 1024 * 1024,
    // The rest of the limits (services/platform/limits.ts) keep their defaults.
    maxConcurrentRpcs: 0,
    ...overrides,
  };
}

export function databaseConfig(url: string | undefined, schema: string, poolMax = 10): DatabaseConfig {
  return { url: url ?? DEFAULT_DATABASE_URL, schema, dataDir: undefined, poolMax, connectTimeoutMs: 5_000, statementTimeoutMs: 5_000 };
}

/** A gRPC envelope around a GetUser request for George. */
export function getUserRequestFrame(): Uint8Array {
  const message = toBinary(GetUserRequestSchema, create(GetUserRequestSchema, { id: GEORGE_ID }));
  const frame = new Uint8Array(5 + message.length);
  new DataView(frame.buffer).setUint32(1, message.length);
  frame.set(message, 5);
  return frame;
}
