// `npm start`: runs the four services as separate processes with the reference
// data on embedded databases (or DATABASE_URL), prints their endpoints once
// each reports SERVING, and stops them cleanly on Ctrl-C or SIGTERM.
import { spawn, type ChildProcess } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../gen/grpc/health/v1/health_pb.js";
import { EnvReader } from "../services/platform/config.js";
import { readServiceConfig, SERVICE_NAMES, type ServiceName } from "../services/platform/service-config.js";

const READY_TIMEOUT_MS = 120_000;

interface Child {
  readonly name: ServiceName;
  readonly port: number;
  readonly httpPort: number;
  readonly process: ChildProcess;
  exited: boolean;
}

// The local mesh: seeded, and each service told where its peers listen.
const env: NodeJS.ProcessEnv = { SEED: "true", ...process.env };
const configs = SERVICE_NAMES.map((name) => readServiceConfig(name, new EnvReader(env)));
for (const config of configs) {
  env[`${config.service.toUpperCase()}_SERVICE_ADDR`] ??= `localhost:${config.server.port}`;
}

const children: Child[] = configs.map((config) => {
  const child: Child = {
    name: config.service,
    port: config.server.port,
    httpPort: config.server.httpPort,
    process: spawn(process.execPath, [...process.execArgv, `services/${config.service}/main.ts`], {
      env,
      stdio: "inherit",
    }),
    exited: false,
  };
  child.process.on("exit", (code, signal) => {
    child.exited = true;
    if (!stopping) {
      console.error(`start: the ${child.name} service exited (${signal ?? `code ${code}`}); stopping the others`);
      void stop(1);
    }
  });
  return child;
});

let stopping = false;
async function stop(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.exitCode = exitCode;
  for (const child of children) if (!child.exited) child.process.kill("SIGTERM");
}

process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));

async function waitServing(child: Child): Promise<void> {
  const health = createClient(Health, createGrpcTransport({ baseUrl: `http://localhost:${child.port}` }));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!stopping && Date.now() < deadline) {
    try {
      if ((await health.check({ service: "" }, { timeoutMs: 1_000 })).status === Status.SERVING) return;
    } catch (err) {
      if (ConnectError.from(err).code !== Code.Unavailable) throw err;
    }
    await sleep(250);
  }
  if (!stopping) throw new Error(`the ${child.name} service was not SERVING within ${READY_TIMEOUT_MS / 1000} s`);
}

try {
  await Promise.all(children.map(waitServing));
  if (!stopping) {
    const rows = children.map((c) => [
      c.name,
      `localhost:${c.port}`,
      c.httpPort >= 0 ? `http://localhost:${c.httpPort}` : "-",
      "SERVING",
    ]);
    printTable(["service", "gRPC / gRPC-Web / Connect (h2c)", "Connect / gRPC-Web (HTTP/1.1)", "health"], rows);
    console.log("\nTry: grpcurl -plaintext localhost:50051 mesh.user.v1.UserService/GetUserStatistics");
    console.log("Ctrl-C stops the mesh.");
  }
} catch (err) {
  console.error(`start: ${(err as Error).message}`);
  await stop(1);
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  console.log(`\n${line(header)}\n${widths.map((w) => "-".repeat(w)).join("  ")}`);
  for (const row of rows) console.log(line(row));
}
