// Servers measured in alternating rounds, to see through a noisy machine: the
// unary suite measures each server once, minutes apart from the others, and
// our server's rate has moved by a third between such runs. Here each round
// measures every server in turn (echo, pinned as in the suite: server on core
// 0, h2load on core 1, every call with a 10 s deadline), and the medians are
// printed at the end. With --clients, the clients of the client suite take
// turns instead (each on core 1, 32 in flight, against the raw echo server on
// core 0), and the medians are of their CPU per call.
//
// An entry of --impls may also name a stack of the layers suite, as
// `layer:fast` or `layer:fast+log` (bench/roles/layer-server.ts).
//
// With --node-flags, each server runs once per set of Node flags (sets
// separated by ";", an empty set for Node's defaults), so that V8 flags are
// compared side by side as well.
//
//   sh scripts/node.sh bench/rounds.ts [--impls mesh-fast,grpc-js] [--rounds 4] [--in-flight 1,100] [--duration-seconds 6]
//   sh scripts/node.sh bench/rounds.ts --impls layer:fast,layer:fast+log,lean-http2 --in-flight 100
//   sh scripts/node.sh bench/rounds.ts --impls mesh-fast --in-flight 100 --node-flags=";--optimize-for-size --no-maglev"
//   sh scripts/node.sh bench/rounds.ts --clients channel-lean,grpc-js [--rounds 4] [--calls 60000]
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { spawnRole } from "./lib/children.js";
import { run } from "./lib/h2load.js";
import { canPin } from "./lib/machine.js";
import { median, serverRounds } from "./lib/rounds.js";
import { fmt } from "./lib/stats.js";

const { values: args } = parseArgs({
  options: {
    impls: { type: "string", default: "mesh-fast,grpc-js" },
    rounds: { type: "string", default: "4" },
    "in-flight": { type: "string", default: "1,100" },
    "duration-seconds": { type: "string", default: "6" },
    clients: { type: "string" },
    calls: { type: "string", default: "60000" },
    "node-flags": { type: "string", default: "" },
  },
});
const impls = args.impls.split(",");
const flagSets = args["node-flags"].split(";").map((set) => set.trim());
const levels = args["in-flight"].split(",").map(Number);
const durationS = Number(args["duration-seconds"]);
const [serverCore, loadCore] = canPin() ? ["0", "1"] : [undefined, undefined];

const root = fileURLToPath(new URL("..", import.meta.url));
mkdirSync(join(root, ".cache"), { recursive: true });
const compiledDir = mkdtempSync(join(root, ".cache", "bench-rounds-"));
console.log("rounds: compiling the project with tsc");
await run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.json"), "--outDir", compiledDir, "--sourceMap", "false"]);

type Point = { rps: number; p50: number; p99: number; cpuUs: number };
const seen = new Map<string, Point[]>();
try {
  if (args.clients !== undefined) await clientRounds(args.clients.split(","));
  else {
    // Each server once per set of flags, in this order within a round.
    const servers = impls.flatMap((impl) =>
      flagSets.map((flags) => (flags === "" ? { name: impl, impl } : { name: `${impl} [${flags}]`, impl, nodeFlags: flags.split(/\s+/) })),
    );
    const series = await serverRounds({
      servers,
      levels,
      rounds: Number(args.rounds),
      durationS,
      warmS: 2,
      serverCore,
      loadCore,
      compiledDir,
      log: (line) => console.log(`${line}  load ${loadavg()[0]!.toFixed(2)}`),
    });
    for (const s of series) seen.set(`${s.server.name} ${s.inFlight}`, s.points);
  }
} finally {
  rmSync(compiledDir, { recursive: true, force: true });
}

console.log("\nmedians");
for (const [key, points] of seen) {
  console.log(
    `${key.padEnd(20)} ${fmt(median(points.map((p) => p.rps)))} req/s  p50 ${fmt(median(points.map((p) => p.p50)))} ms  p99 ${fmt(median(points.map((p) => p.p99)))} ms  ${fmt(median(points.map((p) => p.cpuUs)))} us/req`,
  );
}

/** The client suite's clients in turns against one raw echo server: CPU per call (process CPU / calls), and latency. */
async function clientRounds(clients: string[]): Promise<void> {
  const server = spawnRole({ role: "roles/unary-server.ts", args: ["--impl", "raw-http2", "--handler", "echo"], core: serverCore, compiledDir });
  try {
    const { port } = await server.next<{ type: "ready"; port: number }>("ready");
    for (let round = 1; round <= Number(args.rounds); round++) {
      for (const client of clients) {
        const child = spawnRole({
          role: "roles/client.ts",
          args: ["--client", client, "--port", String(port), "--calls", args.calls, "--inflight", "32", "--sessions", "2"],
          core: loadCore,
          compiledDir,
        });
        try {
          await child.next("warm");
          child.send({ type: "go" });
          const r = await child.next<{ type: "result"; calls: number; seconds: number; cpuUsPerCall: number; p50Ms: number; p99Ms: number }>("result");
          const point = { rps: r.calls / r.seconds, p50: r.p50Ms, p99: r.p99Ms, cpuUs: r.cpuUsPerCall };
          seen.set(client, [...(seen.get(client) ?? []), point]);
          console.log(`round ${round} ${client.padEnd(16)} ${fmt(point.cpuUs)} us CPU/call  ${fmt(point.rps)} calls/s  p50 ${fmt(point.p50)} ms  load ${loadavg()[0]!.toFixed(2)}`);
        } finally {
          await child.stop();
        }
      }
    }
  } finally {
    await server.stop();
  }
}
