// h2load (nghttp2-client) as a gRPC unary load generator: one prepared request
// body, N connections x M streams in flight, for a duration; latency
// percentiles from its per-request log. h2load sees HTTP statuses only, not
// grpc-status: the servers count their own non-OK answers (see the roles).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { percentile } from "./stats.js";

export interface LoadShape {
  /** Calls in flight: connections x streams per connection. */
  readonly inFlight: number;
}

export interface H2loadOptions {
  readonly url: string;
  /** The request body: a gRPC envelope. */
  readonly body: Uint8Array;
  readonly inFlight: number;
  readonly durationS: number;
  /** Core to pin h2load to; undefined: not pinned. */
  readonly core: string | undefined;
  readonly contentType?: string;
  /** Per-request latencies (a log line per request); off for long soaks. Default true. */
  readonly latencies?: boolean;
  /** grpc-timeout sent with every call (e.g. "10S"), as gRPC clients with a deadline do; undefined: none. */
  readonly grpcTimeout?: string | undefined;
}

export interface LoadResult {
  readonly requests: number;
  readonly failed: number;
  readonly seconds: number;
  readonly rps: number;
  /** Milliseconds. */
  readonly p50: number;
  readonly p99: number;
}

/** Connections and streams per connection for a number in flight: one connection up to 100 streams (the servers' limit), then 100 per connection. */
export function shape(inFlight: number): { connections: number; streams: number } {
  if (inFlight <= 100) return { connections: 1, streams: inFlight };
  return { connections: Math.ceil(inFlight / 100), streams: 100 };
}

export async function h2load(options: H2loadOptions): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), "bench-h2load-"));
  try {
    const bodyFile = join(dir, "body.bin");
    const logFile = join(dir, "requests.log");
    writeFileSync(bodyFile, options.body);
    const { connections, streams } = shape(options.inFlight);
    const args = [
      "-D",
      `${Math.max(1, Math.round(options.durationS * 1000))}ms`,
      "-c",
      String(connections),
      "-m",
      String(streams),
      "-t",
      "1",
      "-H",
      `content-type: ${options.contentType ?? "application/grpc"}`,
      "-H",
      "te: trailers",
      ...(options.grpcTimeout === undefined ? [] : ["-H", `grpc-timeout: ${options.grpcTimeout}`]),
      "-d",
      bodyFile,
      ...(options.latencies === false ? [] : ["--log-file", logFile]),
      options.url,
    ];
    const out = await run(options.core === undefined ? "h2load" : "taskset", options.core === undefined ? args : ["-c", options.core, "h2load", ...args]);
    const done = /requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed/.exec(out);
    if (done === null) throw new Error(`h2load output not understood:\n${out}`);
    const latencies = (options.latencies === false ? "" : readFileSync(logFile, "utf8"))
      .split("\n")
      .filter((line) => line.length > 0)
      .map((line) => line.split("\t"))
      .filter((cols) => cols[1] === "200")
      .map((cols) => Number(cols[2]) / 1000);
    const requests = Number(done[2]);
    return {
      requests,
      failed: Number(done[3]),
      seconds: options.durationS,
      rps: requests / options.durationS,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(" ")} exited with ${code}:\n${out}`))));
  });
}
