// Where a unary call's server CPU goes: the echo server built up one layer at
// a time (roles/layer-server.ts), from the lean path (node:http2 and
// protobuf-es only) to createServer, each pinned to one core with h2load at
// 100 in flight on the other. The stacks take turns in alternating rounds
// (bench/lib/rounds.ts), and each row is the median of the rounds: a layer
// costs 0.5-3 us, less than one server's reading moves between two passes
// minutes apart. The difference between two rows' medians is what a layer costs.
import type { Suite } from "../lib/context.js";
import type { Row } from "../lib/results.js";
import { fmtPoint, medianPoint, roundFigures, suiteRounds, type RoundServer } from "../lib/rounds.js";

/**
 * The stacks, each with what it adds. A row's `addedUs` is its CPU per call over the last row before it that
 * is `base`; the lean path and connect-node have none.
 */
const STEPS: ReadonlyArray<RoundServer & { readonly what: string; readonly base: boolean; readonly added: boolean }> = [
  { name: "lean", impl: "lean-http2", what: "lean path: node:http2 and protobuf-es only (the unary suite's lean-http2)", base: true, added: false },
  { name: "fast", impl: "layer:fast", what: "fast adapter alone", base: true, added: true },
  { name: "fast+log", impl: "layer:fast+log", what: "+ logging interceptor (a JSON line per call)", base: true, added: true },
  { name: "fast+log+metrics", impl: "layer:fast+log+metrics", what: "+ metrics interceptor", base: true, added: true },
  { name: "server", impl: "layer:server", what: "createServer (gates, context values, health, reflection, limits)", base: true, added: true },
  {
    name: "server no deadline",
    impl: "layer:server",
    grpcTimeout: null,
    what: "createServer, caller without a deadline (DEFAULT_DEADLINE_MS applies)",
    base: false,
    added: true,
  },
  { name: "connect", impl: "layer:connect", what: "createServer on connect-node alone", base: false, added: false },
];

export const layersSuite: Suite = async (ctx) => {
  const quiet = await ctx.quiet();
  const series = await suiteRounds(ctx, STEPS, [100]);
  const rows: Row[] = [];
  let previous: number | undefined;
  for (const step of STEPS) {
    const s = series.find((x) => x.server === step);
    if (s === undefined) continue;
    const m = medianPoint(s.points);
    const added = !step.added || previous === undefined ? Number.NaN : m.cpuUs - previous;
    if (step.base) previous = m.cpuUs;
    const { inFlight, ...figures } = roundFigures(s);
    rows.push({ case: step.name, figures: { stack: step.what, inFlight: inFlight as number, ...figures, addedUs: added }, quiet });
    ctx.log(`medians of ${s.points.length}: ${step.what.padEnd(72)} ${fmtPoint(m)}${Number.isNaN(added) ? "" : `  (${added >= 0 ? "+" : ""}${added.toFixed(1)} us)`}`);
  }
  return rows;
};
