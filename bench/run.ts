// npm run bench: every comparison of docs/benchmarks/README.md in one run,
// printing figures as they come and writing results.json, results.md and
// unary.svg. Needs h2load (apt-get install nghttp2-client) and PostgreSQL
// (sh scripts/postgres.sh start); uses ghz when installed (scripts/install-tools.sh ghz).
//
//   sh scripts/node.sh bench/run.ts                      the full run (about an hour with a 10 min soak)
//   sh scripts/node.sh bench/run.ts --smoke              every case for a second or so (CI)
//   options: --only unary,unary-rounds,layers,client,pool,fan-out,database,memory   --soak-seconds 600
//            --duration-seconds 10   --warm-seconds 3   --in-flight 1,10,100,1000
//            --quiet-wait-seconds 180   --out docs/benchmarks   --database-url postgres://...
//            --tsx (run the measured processes through tsx instead of compiling them first)
//            --merge (keep the other suites of <out>/results.json: re-run some suites, or --only none to
//                     rewrite the tables, chart and targets from it)
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import type { BenchContext, Suite } from "./lib/context.js";
import { prepareDatabases } from "./lib/database-setup.js";
import { DEFAULT_DATABASE_URL } from "./lib/fixtures.js";
import { run } from "./lib/h2load.js";
import { canPin, hasCommand, waitForQuiet } from "./lib/machine.js";
import { writeReport } from "./lib/report.js";
import { runMeta, type Results } from "./lib/results.js";
import { checkTargets } from "./lib/targets.js";
import { clientSuite, poolSuite } from "./suites/client.js";
import { databaseSuite } from "./suites/database.js";
import { fanOutSuite } from "./suites/fan-out.js";
import { layersSuite } from "./suites/layers.js";
import { memorySuite } from "./suites/memory.js";
import { unaryRoundsSuite } from "./suites/unary-rounds.js";
import { unarySuite } from "./suites/unary.js";

const SUITES: Record<string, Suite> = {
  unary: unarySuite,
  "unary-rounds": unaryRoundsSuite,
  layers: layersSuite,
  client: clientSuite,
  pool: poolSuite,
  "fan-out": fanOutSuite,
  database: databaseSuite,
  memory: memorySuite,
};

const { values: args } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    only: { type: "string" },
    "soak-seconds": { type: "string" },
    "duration-seconds": { type: "string" },
    "warm-seconds": { type: "string" },
    "in-flight": { type: "string", default: "1,10,100,1000" },
    "quiet-wait-seconds": { type: "string" },
    out: { type: "string" },
    "database-url": { type: "string" },
    tsx: { type: "boolean", default: false },
    merge: { type: "boolean", default: false },
  },
});
const smoke = args.smoke;
const root = fileURLToPath(new URL("..", import.meta.url));
const out = args.out ?? (smoke ? join(tmpdir(), "grpc-mesh-bench-smoke") : join(root, "docs/benchmarks"));
const tools = `${process.env.MESH_TOOLS_CACHE ?? join(process.env.HOME ?? "", ".cache/grpc-mesh")}/bin`;
process.env.PATH = `${tools}:${process.env.PATH ?? ""}`;

if (!hasCommand("h2load")) {
  console.error("bench: h2load is missing: apt-get install -y nghttp2-client");
  process.exitCode = 1;
} else {
  await main();
}

async function main(): Promise<void> {
  const pinned = canPin();
  const quietWaitS = Number(args["quiet-wait-seconds"] ?? (smoke ? 0 : 180));
  // Production runs tsc's output; so do the measured processes (unless --tsx).
  // Inside the project (.cache/ is ignored by git), so imports find node_modules and "type": "module".
  const selectedCount = args.only === "none" ? 0 : 1;
  const compiledDir =
    args.tsx || selectedCount === 0 ? undefined : (mkdirSync(join(root, ".cache"), { recursive: true }), mkdtempSync(join(root, ".cache", "bench-build-")));
  if (compiledDir !== undefined) {
    console.log("bench: compiling the project with tsc (the measured processes run its JavaScript)");
    await run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.json"), "--outDir", compiledDir, "--sourceMap", "false"]);
  }
  const ctx: BenchContext = {
    smoke,
    durationS: Number(args["duration-seconds"] ?? (smoke ? 1 : 10)),
    warmS: Number(args["warm-seconds"] ?? (smoke ? 0.5 : 3)),
    soakS: Number(args["soak-seconds"] ?? (smoke ? 5 : 600)),
    serverCore: pinned ? "0" : undefined,
    loadCore: pinned ? "1" : undefined,
    databaseUrl: args["database-url"] ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    compiledDir,
    inFlight: args["in-flight"].split(",").map(Number),
    quiet: () => waitForQuiet({ maxWaitS: quietWaitS }),
    log: (line) => console.log(line),
  };
  const selected = args.only === undefined ? Object.keys(SUITES) : args.only === "none" ? [] : args.only.split(",");
  const unknown = selected.filter((s) => !(s in SUITES));
  if (unknown.length > 0) throw new Error(`unknown suite(s) ${unknown.join(", ")}; known: ${Object.keys(SUITES).join(", ")}`);
  console.log(`bench: ${smoke ? "smoke run" : "full run"}, suites ${selected.join(", ")}, ${pinned ? "server on core 0, load on core 1" : "not pinned (taskset or a second core missing)"}`);
  if (selected.length > 0) await prepareDatabases(ctx.databaseUrl);
  const earlier = args.merge ? (JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as Results) : undefined;
  const meta = runMeta(smoke, pinned);
  const results: Results = {
    meta: earlier === undefined || selected.length === 0 ? (earlier?.meta ?? meta) : { ...earlier.meta, command: `${earlier.meta.command}; then ${meta.command} (${meta.date}, ${meta.commit})` },
    suites: { ...earlier?.suites },
    targets: [],
  };
  for (const name of selected) {
    console.log(`\n== ${name}`);
    const started = performance.now();
    results.suites[name] = await (SUITES[name] as Suite)(ctx);
    console.log(`(${name}: ${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
  results.targets = checkTargets(results);
  console.log("\n== targets");
  for (const t of results.targets) console.log(`${t.met === undefined ? "  -  " : t.met ? " yes " : "  NO "} ${t.name}: ${t.reached} (wanted ${t.wanted})`);
  const files = writeReport(results, out);
  console.log(`\nwrote ${files.join(", ")}`);
  if (compiledDir !== undefined) rmSync(compiledDir, { recursive: true, force: true });
  // A figure taken over failed calls measures nothing: the run fails (CI's smoke too).
  const failed = selected.flatMap((name) => (results.suites[name] ?? []).filter((row) => Number(row.figures.errors ?? 0) > 0).map((row) => `${name}: ${row.case} (${row.figures.errors} errors)`));
  if (failed.length > 0) {
    console.error(`bench: calls failed in ${failed.length} case(s):\n  ${failed.join("\n  ")}`);
    process.exitCode = 1;
  }
}
