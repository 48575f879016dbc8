// Test harness: configs for real servers on loopback ports and real databases.
// With DATABASE_URL set, each started service gets a fresh schema in that
// PostgreSQL database (dropped afterwards), so test files run in parallel;
// without it, an in-memory PGlite database.
import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import type { DescService } from "@bufbuild/protobuf";
import { createLogger, type Logger } from "../platform/logger.js";
import type { ServiceHost } from "../platform/service-host.js";
import { readServiceConfig, type ServiceConfig, type ServiceName } from "../platform/service-config.js";
import { EnvReader } from "../platform/config.js";

/** True when the suites run against a PostgreSQL server rather than PGlite. */
export const usingPostgres = (process.env.DATABASE_URL ?? "") !== "";

/** A service config for tests: loopback, ephemeral ports, a fresh database or schema. */
export function testConfig(service: ServiceName, env: Record<string, string> = {}): ServiceConfig {
  const schema = `test_${service}_${randomBytes(5).toString("hex")}`;
  const base = readServiceConfig(
    service,
    new EnvReader({
      [`${service.toUpperCase()}_HOST`]: "127.0.0.1",
      [`${service.toUpperCase()}_PORT`]: "0",
      [`${service.toUpperCase()}_HTTP_PORT`]: "0",
      [`${service.toUpperCase()}_DATABASE_SCHEMA`]: schema,
      DATABASE_URL: process.env.DATABASE_URL ?? "",
      DATA_DIR: ":memory:",
      SHUTDOWN_GRACE_MS: "3000",
      ...env,
    }),
  );
  return base;
}

/** Log lines captured in memory, parsed. */
export interface CapturedLogger {
  readonly logger: Logger;
  readonly lines: Array<Record<string, unknown>>;
}

export function captureLogger(service: string): CapturedLogger {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString("utf8").split("\n")) if (line !== "") lines.push(JSON.parse(line));
      callback();
    },
  });
  return { logger: createLogger({ service, level: "debug", destination }), lines };
}

/** Stops the host and, on PostgreSQL, drops its schema. */
export async function stopAndDrop<DB>(host: ServiceHost<DB>): Promise<void> {
  const { database } = host;
  if (database.kind === "postgres") {
    // Drop through a fresh connection after the host has closed its own.
    await host.stop();
    const { openDatabase } = await import("../platform/database.js");
    const admin = await openDatabase({ ...testConfig("user").database, schema: database.schema }, silentLogger());
    await admin.dropSchema();
    await admin.close();
  } else {
    await host.stop();
  }
}

export function silentLogger(): Logger {
  return createLogger({ service: "test", level: "silent" });
}

export function grpcTransport(port: number): Transport {
  return createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` });
}

export function connectHttp1Transport(port: number): Transport {
  return createConnectTransport({ baseUrl: `http://127.0.0.1:${port}`, httpVersion: "1.1" });
}

export function grpcClient<S extends DescService>(service: S, port: number): Client<S> {
  return createClient(service, grpcTransport(port));
}
