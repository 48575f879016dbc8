// What young collections keep on a bare node:http2 server, and why: the echo
// of the unary suite's raw server (read the body, answer it with gRPC's
// trailers) under h2load at 100 in flight, with the sessions' streams in
// Node's own Map or in services/platform/stream-table.ts, and V8's
// allocation-site pretenuring on or off (services/platform/v8-tuning.ts).
// Each variant runs in a process of its own on core 0 with --trace-gc-nvp,
// in turns, and prints the bytes that outlived each young collection, the
// pauses, the full collections and the rate (bench/lib/gc-trace.ts).
//
//   sh scripts/node.sh bench/stream-map.ts [--rounds 2] [--duration-seconds 6]
import { spawn } from "node:child_process";
import { once } from "node:events";
import * as http2 from "node:http2";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { adoptStreamTable } from "../services/platform/stream-table.js";
import { gcFigures } from "./lib/gc-trace.js";
import { h2load } from "./lib/h2load.js";
import { canPin } from "./lib/machine.js";
import { fmt } from "./lib/stats.js";

const { values: args } = parseArgs({
  options: {
    serve: { type: "boolean", default: false },
    table: { type: "boolean", default: false },
    rounds: { type: "string", default: "2" },
    "duration-seconds": { type: "string", default: "6" },
  },
});

if (args.serve) await serve(args.table);
else await compare();

/** The server: prints its port, then serves until killed. */
async function serve(table: boolean): Promise<void> {
  const server = http2.createServer();
  if (table) server.on("session", adoptStreamTable);
  server.on("stream", (stream) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      stream.respond({ ":status": 200, "content-type": "application/grpc+proto" }, { waitForTrailers: true });
      stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(Buffer.concat(chunks));
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  console.log(`port ${(server.address() as { port: number }).port}`);
}

async function compare(): Promise<void> {
  const [serverCore, loadCore] = canPin() ? ["0", "1"] : [undefined, undefined];
  const variants = [
    { name: "Node's Map, pretenuring on (Node's defaults)", table: false, flags: [] },
    { name: "Node's Map, pretenuring off", table: false, flags: ["--no-allocation-site-pretenuring"] },
    { name: "stream table, pretenuring on", table: true, flags: [] },
    { name: "stream table, pretenuring off", table: true, flags: ["--no-allocation-site-pretenuring"] },
  ];
  // A gRPC envelope of 3 bytes: what is echoed matters less than the stream around it.
  const body = Uint8Array.from([0, 0, 0, 0, 3, 10, 1, 65]);
  const self = fileURLToPath(import.meta.url);
  for (let round = 1; round <= Number(args.rounds); round++) {
    for (const variant of variants) {
      const node = [...variant.flags, "--trace-gc-nvp", ...process.execArgv, self, "--serve", ...(variant.table ? ["--table"] : [])];
      const [command, argv] = serverCore === undefined ? [process.execPath, node] : ["taskset", ["-c", serverCore, process.execPath, ...node]];
      const child = spawn(command, argv, { stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
      try {
        while (!/port \d+/.test(out)) {
          if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the ${variant.name} server exited before listening`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const url = `http://127.0.0.1:${/port (\d+)/.exec(out)?.[1]}/echo`;
        // The compilers and the young generation's size settle first.
        await h2load({ url, body, inFlight: 100, durationS: 2, core: loadCore, latencies: false });
        const from = out.length;
        const r = await h2load({ url, body, inFlight: 100, durationS: Number(args["duration-seconds"]), core: loadCore, latencies: false });
        const gc = gcFigures(out.slice(from), r.requests);
        const perCollection = (gc.survivedBytesPerCall * 10_000) / gc.scavengesPer10kCalls;
        console.log(
          `round ${round}  ${variant.name.padEnd(46)} ${fmt(r.rps).padStart(7)} req/s  ` +
            `kept per young collection ${fmt(perCollection / 1048576).padStart(5)} MiB (${fmt(gc.promotedOfSurvivors * 100)}% of it again at the next), ` +
            `young pauses ${fmt(gc.scavengePauseUsPerCall)} us/call, full collections ${gc.markCompacts}`,
        );
      } finally {
        child.kill("SIGKILL");
        await once(child, "exit");
      }
    }
  }
}
