// A real service run by its main.ts in a child process, as a replica runs in
// production: for tests that SIGTERM and restart it. Only the environment the
// test gives it reaches it (plus PATH), so no variable of the test's own shell
// (AUTH_*, TLS_*, OTEL_*) changes what it does.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import type { ServiceName } from "../platform/service-config.js";
import { grpcTransport } from "./harness.js";

export interface ServiceProcess {
  readonly port: number;
  readonly child: ChildProcess;
  /** What the process wrote to stderr (its failures). */
  readonly stderr: () => string;
  /** SIGTERM (or `signal`), then resolves with the exit code once the process has ended. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts `services/<service>/main.ts` with `env` and resolves once its health says SERVING. */
export async function startServiceProcess(service: ServiceName, port: number, env: Record<string, string>, withinMs = 30_000): Promise<ServiceProcess> {
  const main = new URL(`../${service}/main.ts`, import.meta.url).pathname;
  const child = spawn(process.execPath, ["--import", "tsx", main], {
    env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, "exit").then(([code]) => code as number | null);
  const started: ServiceProcess = {
    port,
    child,
    stderr: () => stderr,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  const health = createClient(Health, grpcTransport(port));
  const deadline = performance.now() + withinMs;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${service} exited with ${child.exitCode}: ${stderr}`);
    try {
      if ((await health.check({ service: "" }, { timeoutMs: 500 })).status === Status.SERVING) return started;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  await started.stop("SIGKILL");
  throw new Error(`${service} was not SERVING within ${withinMs} ms: ${stderr}`);
}
