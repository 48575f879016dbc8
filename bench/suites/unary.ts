// Server comparison: unary echo and GetUser (PostgreSQL) served by our stack
// (fast path, and connect-node alone), by @grpc/grpc-js and by raw node:http2
// (for echo, also raw node:http2 that decodes and encodes with protobuf-es:
// the "lean unary path"), each pinned to one core, driven by h2load
// on the other core at each in-flight level: requests/s, p50, p99, server CPU
// per request, peak RSS.
// Then ghz at 100 in flight as a second load generator.
import { spawnRole, type Child } from "../lib/children.js";
import type { BenchContext, Suite } from "../lib/context.js";
import { getUserRequestFrame } from "../lib/fixtures.js";
import { ghz } from "../lib/ghz.js";
import { h2load } from "../lib/h2load.js";
import { hasCommand, memoryOf, processCpuMicros } from "../lib/machine.js";
import type { Row } from "../lib/results.js";
import { fmt, mib } from "../lib/stats.js";

export const SERVER_IMPLS = ["mesh-fast", "mesh-connect", "grpc-js", "raw-http2", "lean-http2"] as const;
export const HANDLERS = ["echo", "getuser"] as const;
/** The deadline h2load's calls carry (gRPC's format: 10 seconds). */
export const CLIENT_DEADLINE = "10S";

export const unarySuite: Suite = async (ctx) => {
  const rows: Row[] = [];
  for (const handler of HANDLERS) {
    for (const impl of SERVER_IMPLS) {
      // For GetUser, raw-http2 decodes and encodes already: it is the lean path there.
      if (impl === "lean-http2" && handler !== "echo") continue;
      const server = await startServer(ctx, impl, handler);
      try {
        const url = `http://127.0.0.1:${server.port}/mesh.user.v1.UserService/GetUser`;
        await h2load({ url, body: getUserRequestFrame(), inFlight: 100, durationS: ctx.warmS, core: ctx.loadCore });
        // Every call carries a deadline, as our channel's calls and most gRPC clients' do; our server
        // without one is measured too (it then applies DEFAULT_DEADLINE_MS itself).
        const points: Array<{ inFlight: number; grpcTimeout: string | undefined }> = ctx.inFlight.map((inFlight) => ({ inFlight, grpcTimeout: CLIENT_DEADLINE }));
        if (impl === "mesh-fast" && ctx.inFlight.includes(100)) points.push({ inFlight: 100, grpcTimeout: undefined });
        for (const { inFlight, grpcTimeout } of points) {
          const quiet = await ctx.quiet();
          const errorsBefore = await errorsOf(server.child);
          const cpu = processCpuMicros(server.child.pid);
          const r = await h2load({ url, body: getUserRequestFrame(), inFlight, durationS: ctx.durationS, core: ctx.loadCore, grpcTimeout });
          const cpuUs = processCpuMicros(server.child.pid) - cpu;
          const errors = (await errorsOf(server.child)) - errorsBefore + r.failed;
          const figures = {
            handler,
            impl,
            inFlight,
            loadGenerator: "h2load",
            clientDeadline: grpcTimeout ?? "none",
            rps: r.rps,
            p50Ms: r.p50,
            p99Ms: r.p99,
            cpuUsPerRequest: cpuUs / Math.max(1, r.requests),
            peakRssMiB: mib(memoryOf(server.child.pid).peak),
            errors,
          };
          rows.push({ case: `${handler} ${impl} ${inFlight}${grpcTimeout === undefined ? " no deadline" : ""}`, figures, quiet });
          ctx.log(
            `${handler.padEnd(7)} ${impl.padEnd(12)} ${String(inFlight).padStart(4)} in flight${grpcTimeout === undefined ? " (no deadline)" : ""}  ${fmt(r.rps).padStart(7)} req/s  p50 ${fmt(r.p50).padStart(6)} ms  p99 ${fmt(r.p99).padStart(6)} ms  ${fmt(figures.cpuUsPerRequest).padStart(5)} us CPU/req  peak ${fmt(figures.peakRssMiB)} MiB  errors ${errors}  load ${quiet.load1.toFixed(2)}`,
          );
        }
        if (handler === "echo" && hasCommand("ghz", ["--version"])) {
          const quiet = await ctx.quiet();
          const r = await ghz({ port: server.port, inFlight: 100, durationS: ctx.durationS, core: ctx.loadCore });
          rows.push({
            case: `${handler} ${impl} 100 ghz`,
            figures: { handler, impl, inFlight: 100, loadGenerator: "ghz", rps: r.rps, p50Ms: r.p50, p99Ms: r.p99, errors: r.failed },
            quiet,
          });
          ctx.log(`${handler.padEnd(7)} ${impl.padEnd(12)}  100 in flight  ${fmt(r.rps).padStart(7)} req/s  p50 ${fmt(r.p50).padStart(6)} ms  p99 ${fmt(r.p99).padStart(6)} ms  (ghz)  load ${quiet.load1.toFixed(2)}`);
        }
      } finally {
        await server.child.stop();
      }
    }
  }
  return rows;
};

export async function startServer(ctx: BenchContext, impl: string, handler: string): Promise<{ child: Child; port: number }> {
  const child = spawnRole({
    role: "roles/unary-server.ts",
    args: ["--impl", impl, "--handler", handler, "--database-url", ctx.databaseUrl],
    core: ctx.serverCore,
    compiledDir: ctx.compiledDir,
  });
  const { port } = await child.next<{ type: "ready"; port: number }>("ready");
  return { child, port };
}

async function errorsOf(child: Child): Promise<number> {
  child.send({ type: "stats" });
  return (await child.next<{ type: "stats"; errors: number }>("stats")).errors;
}
