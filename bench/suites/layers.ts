// Where a unary call's server CPU goes: the echo server built up one layer at
// a time (roles/layer-server.ts), each pinned to one core with h2load at 100 in
// flight on the other. The difference between two rows is what a layer costs.
import { spawnRole } from "../lib/children.js";
import type { Suite } from "../lib/context.js";
import { getUserRequestFrame } from "../lib/fixtures.js";
import { h2load } from "../lib/h2load.js";
import { processCpuMicros } from "../lib/machine.js";
import type { Row } from "../lib/results.js";
import { fmt } from "../lib/stats.js";
import { CLIENT_DEADLINE } from "./unary.js";

const STEPS = [
  { layer: "fast", grpcTimeout: CLIENT_DEADLINE, what: "fast adapter alone" },
  { layer: "fast+log", grpcTimeout: CLIENT_DEADLINE, what: "+ logging interceptor (a JSON line per call)" },
  { layer: "fast+log+metrics", grpcTimeout: CLIENT_DEADLINE, what: "+ metrics interceptor" },
  { layer: "server", grpcTimeout: CLIENT_DEADLINE, what: "createServer (gates, context values, health, reflection, limits)" },
  { layer: "server", grpcTimeout: undefined, what: "createServer, caller without a deadline (DEFAULT_DEADLINE_MS applies)" },
  { layer: "connect", grpcTimeout: CLIENT_DEADLINE, what: "createServer on connect-node alone" },
] as const;

export const layersSuite: Suite = async (ctx) => {
  const rows: Row[] = [];
  let previous: number | undefined;
  for (const step of STEPS) {
    const child = spawnRole({ role: "roles/layer-server.ts", args: ["--layer", step.layer], core: ctx.serverCore, compiledDir: ctx.compiledDir });
    try {
      const { port } = await child.next<{ type: "ready"; port: number }>("ready");
      const url = `http://127.0.0.1:${port}/mesh.user.v1.UserService/GetUser`;
      await h2load({ url, body: getUserRequestFrame(), inFlight: 100, durationS: ctx.warmS, core: ctx.loadCore, grpcTimeout: step.grpcTimeout });
      const quiet = await ctx.quiet();
      const cpu = processCpuMicros(child.pid);
      const r = await h2load({ url, body: getUserRequestFrame(), inFlight: 100, durationS: ctx.durationS, core: ctx.loadCore, grpcTimeout: step.grpcTimeout });
      const perCall = (processCpuMicros(child.pid) - cpu) / Math.max(1, r.requests);
      const delta = previous === undefined || step.layer === "connect" ? Number.NaN : perCall - previous;
      if (step.layer !== "connect" && step.grpcTimeout !== undefined) previous = perCall;
      rows.push({
        case: `${step.layer}${step.grpcTimeout === undefined ? " no deadline" : ""}`,
        figures: { stack: step.what, inFlight: 100, rps: r.rps, p50Ms: r.p50, p99Ms: r.p99, cpuUsPerRequest: perCall, addedUs: delta },
        quiet,
      });
      ctx.log(`${step.what.padEnd(72)} ${fmt(r.rps).padStart(7)} req/s  ${fmt(perCall).padStart(5)} us CPU/req${Number.isNaN(delta) ? "" : ` (${delta >= 0 ? "+" : ""}${fmt(delta)})`}  load ${quiet.load1.toFixed(2)}`);
    } finally {
      await child.stop();
    }
  }
  return rows;
};
