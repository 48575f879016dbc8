// The echo comparison the targets are about, in alternating rounds:
// our server, grpc-js, raw node:http2 and the lean path take turns, at 1 and
// 100 in flight, and each row is the median of the rounds with their range.
// The unary suite measures each server once, minutes apart, and one server's
// rate moves by 10-20% between such readings on this machine; the targets are
// checked on these medians when they are there (bench/lib/targets.ts).
import type { Suite } from "../lib/context.js";
import { fmtPoint, medianPoint, roundFigures, suiteRounds } from "../lib/rounds.js";

const ROUNDS_IMPLS = ["mesh-fast", "grpc-js", "raw-http2", "lean-http2"] as const;

export const unaryRoundsSuite: Suite = async (ctx) => {
  const levels = [1, 100].filter((level) => ctx.inFlight.includes(level));
  if (levels.length === 0) return [];
  // The machine's state when the rounds started; each server start waits for it to be quiet again.
  const quiet = await ctx.quiet();
  const series = await suiteRounds(
    ctx,
    ROUNDS_IMPLS.map((impl) => ({ name: impl, impl })),
    levels,
  );
  return series.map((s) => {
    ctx.log(`medians of ${s.points.length}: ${s.server.impl.padEnd(12)} ${String(s.inFlight).padStart(4)} in flight  ${fmtPoint(medianPoint(s.points))}`);
    return { case: `echo ${s.server.impl} ${s.inFlight} rounds`, figures: { handler: "echo", impl: s.server.impl, ...roundFigures(s) }, quiet };
  });
};
