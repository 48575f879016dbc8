// Fan-out: GetUserStatistics (points and departments in parallel after two
// queries) and GetDepartmentReport (2 pages of users in turn, then 2 point
// batches in parallel) against fake upstreams that answer in 2 ms, 1% of them
// 50 ms later, with the branches run concurrently (the handlers as written) and
// one after another. h2load drives the service at 1 call in flight (latency)
// and at 10 (the service's core busy); the service times each outbound call,
// so the fan-out's own cost is the span of an inbound call's branches against
// its slowest branch.
import { create, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { GetDepartmentReportRequestSchema } from "../../gen/mesh/department/v1/department_pb.js";
import { GetUserStatisticsRequestSchema } from "../../gen/mesh/user/v1/user_pb.js";
import { REFERENCE_DEPARTMENTS } from "../../services/platform/reference-data.js";
import { spawnRole, type Child } from "../lib/children.js";
import type { Suite } from "../lib/context.js";
import { h2load } from "../lib/h2load.js";
import type { Row } from "../lib/results.js";
import { fmt } from "../lib/stats.js";

interface SutStats {
  type: "stats";
  inbound: number;
  spanP50Ms: number;
  spanP99Ms: number;
  branchP50Ms: Record<string, number>;
  branchP99Ms: Record<string, number>;
}

const RPCS = [
  {
    name: "GetUserStatistics",
    path: "/mesh.user.v1.UserService/GetUserStatistics",
    body: frame(GetUserStatisticsRequestSchema, { pageSize: 50 }),
    branches: ["BatchGetUserPoints", "BatchGetDepartments"],
  },
  {
    name: "GetDepartmentReport",
    path: "/mesh.department.v1.DepartmentService/GetDepartmentReport",
    body: frame(GetDepartmentReportRequestSchema, { id: REFERENCE_DEPARTMENTS[2]?.id ?? "" }),
    branches: ["ListUsers", "BatchGetUserPoints"],
  },
] as const;

export const fanOutSuite: Suite = async (ctx) => {
  const rows: Row[] = [];
  const upstreams = spawnRole({ role: "roles/fan-out-upstreams.ts", args: ["--base-ms", "2", "--slow", "0.01", "--slow-ms", "50", "--members", "1200"], core: ctx.loadCore, compiledDir: ctx.compiledDir });
  try {
    const { port: upstreamPort } = await upstreams.next<{ type: "ready"; port: number }>("ready");
    for (const mode of ["concurrent", "sequential"] as const) {
      const sut = spawnRole({
        role: "roles/fan-out-server.ts",
        args: ["--upstream", String(upstreamPort), "--mode", mode, "--database-url", ctx.databaseUrl],
        core: ctx.serverCore,
        compiledDir: ctx.compiledDir,
      });
      try {
        const { port } = await sut.next<{ type: "ready"; port: number }>("ready");
        for (const rpc of RPCS) {
          for (const inFlight of [1, 10]) {
            const url = `http://127.0.0.1:${port}${rpc.path}`;
            await h2load({ url, body: rpc.body, inFlight, durationS: ctx.warmS, core: ctx.loadCore });
            await reset(sut);
            const quiet = await ctx.quiet();
            const r = await h2load({ url, body: rpc.body, inFlight, durationS: ctx.durationS, core: ctx.loadCore });
            sut.send({ type: "stats" });
            const s = await sut.next<SutStats>("stats");
            const slowest = Math.max(...rpc.branches.map((b) => s.branchP50Ms[b] ?? Number.NaN));
            const figures: Record<string, number | string> = {
              rpc: rpc.name,
              mode,
              inFlight,
              rps: r.rps,
              p50Ms: r.p50,
              p99Ms: r.p99,
              fanOutP50Ms: s.spanP50Ms,
              fanOutP99Ms: s.spanP99Ms,
              slowestBranchP50Ms: slowest,
              overheadP50Ms: s.spanP50Ms - slowest,
            };
            for (const b of rpc.branches) {
              figures[`${b}P50Ms`] = s.branchP50Ms[b] ?? Number.NaN;
              figures[`${b}P99Ms`] = s.branchP99Ms[b] ?? Number.NaN;
            }
            rows.push({ case: `${rpc.name} ${mode} ${inFlight}`, figures, quiet });
            ctx.log(
              `${rpc.name.padEnd(20)} ${mode.padEnd(10)} ${String(inFlight).padStart(2)} in flight ${fmt(r.rps).padStart(6)} req/s  p50 ${fmt(r.p50)} ms  p99 ${fmt(r.p99)} ms  fan-out p50 ${fmt(s.spanP50Ms)} ms (slowest branch p50 ${fmt(slowest)} ms)  p99 ${fmt(s.spanP99Ms)} ms  load ${quiet.load1.toFixed(2)}`,
            );
          }
        }
      } finally {
        await sut.stop();
      }
    }
  } finally {
    await upstreams.stop();
  }
  return rows;
};

async function reset(sut: Child): Promise<void> {
  sut.send({ type: "reset" });
  await sut.next("reset");
}

function frame<D extends DescMessage>(schema: D, init: MessageInitShape<D>): Uint8Array {
  const message = toBinary(schema, create(schema, init));
  const out = new Uint8Array(5 + message.length);
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, 5);
  return out;
}
