// Hot reads five ways (the repositories as services open the database, the
// same on Kysely with unnamed and with prepared statements, raw node-postgres
// unnamed and prepared), the Node process pinned to
// one core, 32 in flight over a pool of 10: queries/s, Node CPU per query,
// p50, p99. Then pgbench, PostgreSQL's own client, on the same user-by-id
// statement (prepared, 10 connections): the rate PostgreSQL itself sustains here.
import { spawnRole } from "../lib/children.js";
import type { BenchContext, Suite } from "../lib/context.js";
import { GEORGE_ID } from "../lib/fixtures.js";
import { run } from "../lib/h2load.js";
import { hasCommand } from "../lib/machine.js";
import type { Row } from "../lib/results.js";
import { fmt } from "../lib/stats.js";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const READS = ["user-by-id", "points-of-user", "department-by-id"] as const;
const WAYS = ["repository", "kysely-unnamed", "kysely-prepared", "pg-simple", "pg-prepared"] as const;
export const PGBENCH = "/usr/lib/postgresql/15/bin/pgbench";

interface DbResult {
  type: "result";
  queries: number;
  seconds: number;
  errors: number;
  cpuUsPerQuery: number;
  p50Ms: number;
  p99Ms: number;
}

export const databaseSuite: Suite = async (ctx) => {
  const rows: Row[] = [];
  for (const read of READS) {
    for (const way of WAYS) {
      const quiet = await ctx.quiet();
      const child = spawnRole({
        role: "roles/database.ts",
        args: ["--read", read, "--way", way, "--duration-s", String(ctx.durationS), "--warm-s", String(ctx.warmS), "--database-url", ctx.databaseUrl],
        core: ctx.serverCore,
        compiledDir: ctx.compiledDir,
      });
      const r = await child.next<DbResult>("result");
      await child.stop();
      const qps = r.queries / r.seconds;
      rows.push({ case: `${read} ${way}`, figures: { read, way, inFlight: 32, pool: 10, qps, cpuUsPerQuery: r.cpuUsPerQuery, p50Ms: r.p50Ms, p99Ms: r.p99Ms, errors: r.errors }, quiet });
      ctx.log(`${read.padEnd(17)} ${way.padEnd(12)} ${fmt(qps).padStart(7)} q/s  ${fmt(r.cpuUsPerQuery).padStart(5)} us CPU/query  p50 ${fmt(r.p50Ms)} ms  p99 ${fmt(r.p99Ms)} ms  errors ${r.errors}  load ${quiet.load1.toFixed(2)}`);
    }
  }
  if (hasCommand(PGBENCH, ["--version"])) {
    const quiet = await ctx.quiet();
    const tps = await pgbench(ctx);
    rows.push({ case: "user-by-id pgbench", figures: { read: "user-by-id", way: "pgbench prepared, 10 connections", qps: tps }, quiet });
    ctx.log(`user-by-id        pgbench      ${fmt(tps).padStart(7)} q/s (PostgreSQL's own client, prepared, 10 connections)  load ${quiet.load1.toFixed(2)}`);
  }
  return rows;
};

async function pgbench(ctx: BenchContext): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "bench-pgbench-"));
  try {
    const script = join(dir, "user-by-id.sql");
    writeFileSync(script, `SELECT * FROM bench_user.users WHERE id = '${GEORGE_ID}';\n`);
    const args = ["-n", "-M", "prepared", "-c", "10", "-j", "1", "-T", String(Math.max(1, ctx.durationS)), "-f", script, ctx.databaseUrl];
    const out = await run(ctx.loadCore === undefined ? PGBENCH : "taskset", ctx.loadCore === undefined ? args : ["-c", ctx.loadCore, PGBENCH, ...args]);
    const tps = /tps = ([\d.]+)/.exec(out);
    if (tps === null) throw new Error(`pgbench output not understood:\n${out}`);
    return Number(tps[1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
