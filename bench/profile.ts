// Where a server's time goes: one echo server (as the unary or layers suite
// runs it, compiled, on core 0) under h2load (core 1) with V8's CPU profiler
// on, then the functions that took the most samples (self time), the way the
// changes in docs/benchmarks/README.md were found. The .cpuprofile file opens
// in Chrome DevTools (Performance) for the call tree.
//
//   sh scripts/node.sh bench/profile.ts [--impl mesh-fast|mesh-connect|grpc-js|raw-http2 | --layer fast|fast+log|...]
//                                       [--in-flight 100] [--duration-seconds 8] [--top 40]
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { spawnRole } from "./lib/children.js";
import { getUserRequestFrame } from "./lib/fixtures.js";
import { h2load, run } from "./lib/h2load.js";
import { canPin } from "./lib/machine.js";
import { fmt } from "./lib/stats.js";
import { CLIENT_DEADLINE } from "./suites/unary.js";

const { values: args } = parseArgs({
  options: {
    impl: { type: "string", default: "mesh-fast" },
    layer: { type: "string" },
    "in-flight": { type: "string", default: "100" },
    "duration-seconds": { type: "string", default: "8" },
    top: { type: "string", default: "40" },
  },
});
const [serverCore, loadCore] = canPin() ? ["0", "1"] : [undefined, undefined];
const root = fileURLToPath(new URL("..", import.meta.url));
mkdirSync(join(root, ".cache"), { recursive: true });
const compiledDir = mkdtempSync(join(root, ".cache", "bench-profile-"));
const profileDir = mkdtempSync(join(root, ".cache", "cpu-profile-"));
await run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.json"), "--outDir", compiledDir, "--sourceMap", "false"]);
try {
  const [role, roleArgs] = args.layer === undefined ? ["roles/unary-server.ts", ["--impl", args.impl, "--handler", "echo"]] : ["roles/layer-server.ts", ["--layer", args.layer]];
  const child = spawnRole({ role, args: roleArgs, core: serverCore, compiledDir, nodeFlags: ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] });
  const { port } = await child.next<{ type: "ready"; port: number }>("ready");
  const url = `http://127.0.0.1:${port}/mesh.user.v1.UserService/GetUser`;
  const r = await h2load({ url, body: getUserRequestFrame(), inFlight: Number(args["in-flight"]), durationS: Number(args["duration-seconds"]), core: loadCore, grpcTimeout: CLIENT_DEADLINE });
  // The profile is written when the process exits.
  await child.stop();
  console.log(`${args.layer ?? args.impl}: ${fmt(r.rps)} req/s under the profiler (it slows the server), p50 ${fmt(r.p50)} ms`);
  const file = join(profileDir, readdirSync(profileDir)[0] as string);
  for (const [share, where] of topSelfTime(JSON.parse(readFileSync(file, "utf8")) as CpuProfile, Number(args.top))) {
    console.log(`${(share * 100).toFixed(1).padStart(5)}%  ${where}`);
  }
  console.log(`profile: ${file}`);
} finally {
  rmSync(compiledDir, { recursive: true, force: true });
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
