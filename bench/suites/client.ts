// What an outbound call costs the caller, and what pooling changes.
//   client: each client pinned to one core calls a raw node:http2 echo server
//           (the cheapest server, on the other core) with 32 in flight: the
//           client's process CPU / calls, and the latency it saw;
//   pool:   our channel against our server (fast path) with 100 in flight on
//           1 connection, on 4, and on a new connection per call.
import { spawnRole } from "../lib/children.js";
import type { BenchContext, Suite } from "../lib/context.js";
import { processCpuMicros } from "../lib/machine.js";
import type { Row } from "../lib/results.js";
import { fmt } from "../lib/stats.js";
import { startServer } from "./unary.js";

export const CLIENT_KINDS = ["channel-lean", "channel-connect", "connect", "grpc-js", "raw-http2"] as const;

interface ClientResult {
  type: "result";
  calls: number;
  seconds: number;
  errors: number;
  cpuUsPerCall: number;
  p50Ms: number;
  p99Ms: number;
}

export const clientSuite: Suite = async (ctx) => {
  const rows: Row[] = [];
  const server = await startServer(ctx, "raw-http2", "echo");
  try {
    const calls = ctx.smoke ? 2_000 : 60_000;
    for (const client of CLIENT_KINDS) {
      const quiet = await ctx.quiet();
      const r = await runClient(ctx, client, server.port, calls, 32, 2);
      rows.push({
        case: client,
        figures: { client, inFlight: 32, calls, rps: calls / r.seconds, p50Ms: r.p50Ms, p99Ms: r.p99Ms, cpuUsPerCall: r.cpuUsPerCall, errors: r.errors },
        quiet,
      });
      ctx.log(`${client.padEnd(16)} ${fmt(r.cpuUsPerCall).padStart(6)} us CPU/call  ${fmt(calls / r.seconds).padStart(7)} calls/s  p50 ${fmt(r.p50Ms)} ms  p99 ${fmt(r.p99Ms)} ms  errors ${r.errors}  load ${quiet.load1.toFixed(2)}`);
    }
  } finally {
    await server.child.stop();
  }
  return rows;
};

export const poolSuite: Suite = async (ctx) => {
  const rows: Row[] = [];
  const server = await startServer(ctx, "mesh-fast", "echo");
  try {
    const variants = [
      { name: "1 connection", client: "channel-lean", sessions: 1, calls: ctx.smoke ? 1_000 : 40_000 },
      { name: "4 connections", client: "channel-lean", sessions: 4, calls: ctx.smoke ? 1_000 : 40_000 },
      { name: "connection per call", client: "per-call", sessions: 1, calls: ctx.smoke ? 300 : 6_000 },
    ];
    for (const v of variants) {
      const quiet = await ctx.quiet();
      const serverCpu = processCpuMicros(server.child.pid);
      const r = await runClient(ctx, v.client, server.port, v.calls, 100, v.sessions, () => processCpuMicros(server.child.pid) - serverCpu);
      rows.push({
        case: v.name,
        figures: {
          pool: v.name,
          inFlight: 100,
          calls: v.calls,
          rps: v.calls / r.seconds,
          p50Ms: r.p50Ms,
          p99Ms: r.p99Ms,
          clientCpuUsPerCall: r.cpuUsPerCall,
          serverCpuUsPerCall: (r.serverCpuUs ?? 0) / v.calls,
          errors: r.errors,
        },
        quiet,
      });
      ctx.log(
        `${v.name.padEnd(20)} ${fmt(v.calls / r.seconds).padStart(7)} calls/s  p50 ${fmt(r.p50Ms)} ms  p99 ${fmt(r.p99Ms)} ms  client ${fmt(r.cpuUsPerCall)} us/call  server ${fmt((r.serverCpuUs ?? 0) / v.calls)} us/call  errors ${r.errors}  load ${quiet.load1.toFixed(2)}`,
      );
    }
  } finally {
    await server.child.stop();
  }
  return rows;
};

/** Runs one client role to completion; `serverCpu` (read when the measured calls end) adds the server's CPU. */
async function runClient(
  ctx: BenchContext,
  client: string,
  port: number,
  calls: number,
  inFlight: number,
  sessions: number,
  serverCpu?: () => number,
): Promise<ClientResult & { serverCpuUs?: number }> {
  const child = spawnRole({
    role: "roles/client.ts",
    args: ["--client", client, "--port", String(port), "--calls", String(calls), "--inflight", String(inFlight), "--sessions", String(sessions)],
    core: ctx.loadCore,
    compiledDir: ctx.compiledDir,
  });
  try {
    await child.next("warm");
    // The server's CPU counts from "go": the warm-up calls are not measured.
    let base = 0;
    const baseline = serverCpu?.();
    if (baseline !== undefined) base = baseline;
    child.send({ type: "go" });
    const result = await child.next<ClientResult>("result");
    return serverCpu === undefined ? result : { ...result, serverCpuUs: serverCpu() - base };
  } finally {
    await child.stop();
  }
}
