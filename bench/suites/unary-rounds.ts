// The echo comparison the targets are about, in alternating rounds:
// our server, grpc-js, raw node:http2 and the lean path take turns, at 1 and
// 100 in flight, and each row is the median of the rounds with their range.
// The unary suite measures each server once, minutes apart, and one server's
// rate moves by 10-20% between such readings on this machine; the targets are
// checked on these medians when they are there (bench/lib/targets.ts).
import type { Suite } from "../lib/context.js";
import type { Row } from "../lib/results.js";
import { fmtPoint, medianPoint, serverRounds } from "../lib/rounds.js";

export const ROUNDS_IMPLS = ["mesh-fast", "grpc-js", "raw-http2", "lean-http2"] as const;
export const ROUNDS = 3;

export const unaryRoundsSuite: Suite = async (ctx) => {
  const levels = [1, 100].filter((level) => ctx.inFlight.includes(level));
  if (levels.length === 0) return [];
  const rounds = ctx.smoke ? 1 : ROUNDS;
  // The machine's state when the rounds started; each server start waits for it to be quiet again.
  const quiet = await ctx.quiet();
  const series = await serverRounds({
    servers: ROUNDS_IMPLS.map((impl) => ({ name: impl, impl })),
    levels,
    rounds,
    durationS: ctx.durationS,
    warmS: ctx.warmS,
    serverCore: ctx.serverCore,
    loadCore: ctx.loadCore,
    compiledDir: ctx.compiledDir,
    beforeEach: async () => void (await ctx.quiet()),
    log: ctx.log,
  });
  const rows: Row[] = [];
  for (const s of series) {
    const m = medianPoint(s.points);
    const rps = s.points.map((p) => p.rps);
    rows.push({
      case: `echo ${s.server.impl} ${s.inFlight} rounds`,
      figures: {
        handler: "echo",
        impl: s.server.impl,
        inFlight: s.inFlight,
        rounds: s.points.length,
        rps: m.rps,
        rpsMin: Math.min(...rps),
        rpsMax: Math.max(...rps),
        p50Ms: m.p50,
        p99Ms: m.p99,
        cpuUsPerRequest: m.cpuUs,
        errors: m.errors,
      },
      quiet,
    });
    ctx.log(`medians of ${s.points.length}: ${s.server.impl.padEnd(12)} ${String(s.inFlight).padStart(4)} in flight  ${fmtPoint(m)}`);
  }
  return rows;
};
