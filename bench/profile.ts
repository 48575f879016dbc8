// Where a server's or a client's time goes, with V8's CPU profiler on, then
// the functions that took the most samples (self time), the way the changes
// in docs/benchmarks/README.md were found. A server: one echo server (as the
// unary or layers suite runs it, compiled, on core 0) under h2load (core 1).
// A client (--client): as the client suite runs it (core 1), 60,000 calls at
// 32 in flight against the raw echo server (core 0). The .cpuprofile file
// opens in Chrome DevTools (Performance) for the call tree. --allocations runs
// V8's sampling heap profiler instead and prints the bytes allocated per call
// by function, freed ones included (bench/lib/allocations.ts); with
// --survivors, only the bytes that outlived a young collection. --gc runs a
// server with V8's --trace-gc-nvp instead, after a 2 s warm-up, and prints
// what its garbage collector did per call (bench/lib/gc-trace.ts): pauses,
// the bytes that outlived a young collection, and how many of those were
// still alive at the next; then it takes a heap snapshot under the same load
// and counts the streams and calls reachable in it (bench/lib/heap-count.ts).
//
//   sh scripts/node.sh bench/profile.ts [--impl mesh-fast|mesh-connect|grpc-js|raw-http2 | --layer fast|fast+log|...
//                                        | --client channel-lean|grpc-js|...] [--in-flight 100] [--duration-seconds 8] [--top 40]
//                                        [--allocations [--survivors] | --gc]
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ALLOCATIONS_ENV, allocationsByFunction, SURVIVORS_ENV } from "./lib/allocations.js";
import { spawnRole } from "./lib/children.js";
import { getUserRequestFrame } from "./lib/fixtures.js";
import { h2load, run } from "./lib/h2load.js";
import { canPin } from "./lib/machine.js";
import { gcFigures } from "./lib/gc-trace.js";
import { countObjects } from "./lib/heap-count.js";
import { serverRole } from "./lib/rounds.js";
import { fmt } from "./lib/stats.js";
import { CLIENT_DEADLINE } from "./suites/unary.js";

const { values: args } = parseArgs({
  options: {
    impl: { type: "string", default: "mesh-fast" },
    layer: { type: "string" },
    client: { type: "string" },
    "in-flight": { type: "string", default: "100" },
    "duration-seconds": { type: "string", default: "8" },
    top: { type: "string", default: "40" },
    allocations: { type: "boolean", default: false },
    survivors: { type: "boolean", default: false },
    gc: { type: "boolean", default: false },
  },
});
const [serverCore, loadCore] = canPin() ? ["0", "1"] : [undefined, undefined];
const root = fileURLToPath(new URL("..", import.meta.url));
mkdirSync(join(root, ".cache"), { recursive: true });
const compiledDir = mkdtempSync(join(root, ".cache", "bench-profile-"));
const profileDir = mkdtempSync(join(root, ".cache", "cpu-profile-"));
await run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.json"), "--outDir", compiledDir, "--sourceMap", "false"]);
// Either V8's CPU profiler (flags of the profiled process) or its sampling heap profiler (the role starts it).
const allocationsFile = join(profileDir, "allocations.heapprofile");
const profiling = args.allocations
  ? { nodeFlags: [], env: { ...process.env, [ALLOCATIONS_ENV]: allocationsFile, [SURVIVORS_ENV]: args.survivors ? "1" : "0" } }
  : { nodeFlags: ["--cpu-prof", `--cpu-prof-dir=${profileDir}`], env: process.env };
try {
  if (args.gc) await traceServerGc();
  else await profile();
} finally {
  rmSync(compiledDir, { recursive: true, force: true });
}

async function profile(): Promise<void> {
  const { file, calls } = args.client === undefined ? await profileServer() : await profileClient(args.client);
  if (args.allocations) {
    const { total, rows } = allocationsByFunction(JSON.parse(readFileSync(allocationsFile, "utf8")));
    console.log(`${fmt(total / calls)} bytes ${args.survivors ? "per call outlived a young collection (or are still alive)" : "allocated per call"}`);
    for (const [bytes, where] of rows.slice(0, Number(args.top))) console.log(`${fmt(bytes / calls).padStart(7)} B  ${where}`);
    console.log(`profile: ${allocationsFile} (opens in Chrome DevTools, Memory)`);
  } else {
    for (const [share, where] of topSelfTime(JSON.parse(readFileSync(file, "utf8")) as CpuProfile, Number(args.top))) {
      console.log(`${(share * 100).toFixed(1).padStart(5)}%  ${where}`);
    }
    console.log(`profile: ${file}`);
  }
}

/** The server role the options name (bench/lib/rounds.ts), and its arguments. */
function profiledRole(): { role: string; args: string[] } {
  return serverRole(args.layer === undefined ? args.impl : `layer:${args.layer}`);
}

/** h2load against a server role, as the unary suite runs it. */
function loadServer(port: number, durationS: number) {
  const url = `http://127.0.0.1:${port}/mesh.user.v1.UserService/GetUser`;
  return h2load({ url, body: getUserRequestFrame(), inFlight: Number(args["in-flight"]), durationS, core: loadCore, grpcTimeout: CLIENT_DEADLINE });
}

async function profileServer(): Promise<{ file: string; calls: number }> {
  const child = spawnRole({ ...profiledRole(), core: serverCore, compiledDir, ...profiling });
  const { port } = await child.next<{ type: "ready"; port: number }>("ready");
  const r = await loadServer(port, Number(args["duration-seconds"]));
  // The profile is written when the process exits.
  await child.stop();
  console.log(`${args.layer ?? args.impl}: ${fmt(r.rps)} req/s under the profiler (it slows the server), p50 ${fmt(r.p50)} ms`);
  return { file: join(profileDir, readdirSync(profileDir)[0] as string), calls: r.requests };
}

async function traceServerGc(): Promise<void> {
  const nodeFlags = ["--trace-gc-nvp", "--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${profileDir}`];
  const child = spawnRole({ ...profiledRole(), core: serverCore, compiledDir, nodeFlags, captureStdout: true });
  let trace = "";
  child.process.stdout?.setEncoding("utf8").on("data", (chunk: string) => (trace += chunk));
  try {
    const { port } = await child.next<{ type: "ready"; port: number }>("ready");
    // The compilers and the heap's sizes settle first.
    await loadServer(port, 2);
    const settle = () => new Promise((resolve) => setTimeout(resolve, 200));
    await settle();
    const from = trace.length;
    const r = await loadServer(port, Number(args["duration-seconds"]));
    await settle();
    const gc = gcFigures(trace.slice(from), r.requests);
    console.log(`${args.layer ?? args.impl}: ${fmt(r.rps)} req/s with --trace-gc-nvp, ${fmt(r.requests)} calls`);
    console.log(`young collections: ${fmt(gc.scavengesPer10kCalls)} per 10,000 calls (young generation ${fmt(gc.youngCapacityBytes / 1048576)} MiB), ${fmt(gc.scavengePauseUsPerCall)} us of pause per call`);
    console.log(`per call: ${fmt(gc.survivedBytesPerCall)} bytes outlived a young collection, ${fmt(gc.promotedBytesPerCall)} promoted to the old generation`);
    const perCollection = (gc.survivedBytesPerCall * 10_000) / gc.scavengesPer10kCalls;
    console.log(
      `per young collection: ${fmt(perCollection / 1048576)} MiB outlived it; of what had outlived one, ${fmt(gc.promotedOfSurvivors * 100)}% was still there at the next`,
    );
    console.log(`full collections: ${gc.markCompacts}, ${fmt(gc.markCompactPauseUsPerCall)} us of pause per call`);
    // After the measured window (writing a snapshot stops the server for a while): what is reachable under load.
    const snapshotLoad = loadServer(port, 4);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    child.process.kill("SIGUSR2");
    await snapshotLoad;
    const file = await waitForFile(profileDir, ".heapsnapshot");
    const counts = countObjects(file, ["ServerHttp2Stream", "ServerCall", "UnaryCall"]);
    console.log(
      `reachable in a heap snapshot under the same load (${args["in-flight"]} in flight): ${[...counts].map(([name, n]) => `${n} ${name}`).join(", ")}`,
    );
  } finally {
    await child.stop();
  }
}

/** The first file in dir whose name ends so, once V8 has finished writing it (its size no longer grows). */
async function waitForFile(dir: string, suffix: string): Promise<string> {
  let last = -1;
  for (let i = 0; i < 600; i++) {
    const name = readdirSync(dir).find((f) => f.endsWith(suffix));
    if (name !== undefined) {
      const size = statSync(join(dir, name)).size;
      if (size > 0 && size === last) return join(dir, name);
      last = size;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`no ${suffix} file appeared in ${dir}`);
}

async function profileClient(client: string): Promise<{ file: string; calls: number }> {
  const calls = 60_000;
  const server = spawnRole({ role: "roles/unary-server.ts", args: ["--impl", "raw-http2", "--handler", "echo"], core: serverCore, compiledDir });
  try {
    const { port } = await server.next<{ type: "ready"; port: number }>("ready");
    const child = spawnRole({
      role: "roles/client.ts",
      args: ["--client", client, "--port", String(port), "--calls", String(calls), "--inflight", "32", "--sessions", "2"],
      core: loadCore,
      compiledDir,
      ...profiling,
    });
    await child.next("warm");
    child.send({ type: "go" });
    const r = await child.next<{ type: "result"; seconds: number; cpuUsPerCall: number }>("result");
    await child.stop();
    console.log(`${client}: ${fmt(calls / r.seconds)} calls/s, ${fmt(r.cpuUsPerCall)} us of CPU per call under the profiler`);
  } finally {
    await server.stop();
  }
  return { file: join(profileDir, readdirSync(profileDir)[0] as string), calls };
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

/** Self time by function (name, file and line), as shares of all samples, largest first. */
function topSelfTime(profile: CpuProfile, count: number): Array<[number, string]> {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFunction = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const frame = nodes.get(id)?.callFrame;
    const delta = profile.timeDeltas[i] ?? 0;
    total += delta;
    if (frame === undefined) return;
    const file = frame.url.replace(/^.*node_modules\//, "").replace(/^.*\.cache\/[^/]+\//, "");
    const key = `${frame.functionName || "(anonymous)"} ${file}${file === "" ? "" : `:${frame.lineNumber + 1}`}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + delta);
  });
  return [...byFunction]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, time]) => [time / total, key]);
}
