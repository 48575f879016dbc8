// Memory of the four services as production runs them (the image's bundles,
// `node dist/<service>.cjs` with the image's NODE_OPTIONS, on PostgreSQL,
// seeded): resident set at idle, over a soak of GetUserStatistics
// (the user service fanning out to point and department) of --soak-seconds,
// sampled (the growth is the last sample against the first one after the
// first tenth of the soak, its warm-up), then after a hot read at 100 in flight.
// Beer, which the soak does not call, is read once more before its hot read,
// once warm: after TurboFan's first compilation, which maps about 5 MiB of the
// node binary 8-12 minutes into an idle service's life (see warmIdle).
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { createServer as createNetServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { create, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { GetBeerRequestSchema } from "../../gen/mesh/beer/v1/beer_pb.js";
import { GetDepartmentRequestSchema } from "../../gen/mesh/department/v1/department_pb.js";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { GetUserPointsRequestSchema } from "../../gen/mesh/point/v1/point_pb.js";
import { GetUserRequestSchema, GetUserStatisticsRequestSchema } from "../../gen/mesh/user/v1/user_pb.js";
import { bundle, tempBundleDir } from "../../scripts/bundle.js";
import { REFERENCE_DEPARTMENTS } from "../../services/platform/reference-data.js";
import type { BenchContext, Suite } from "../lib/context.js";
import { GEORGE_ID } from "../lib/fixtures.js";
import { h2load } from "../lib/h2load.js";
import { memoryOf } from "../lib/machine.js";
import type { Row } from "../lib/results.js";
import { fmt, mib } from "../lib/stats.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** The Node options the production image starts the services with (its ENV NODE_OPTIONS line, quoted or not). */
const IMAGE_NODE_OPTIONS = imageNodeOptions(readFileSync(join(ROOT, "Dockerfile"), "utf8"));

function imageNodeOptions(dockerfile: string): string {
  const match = /^ENV NODE_OPTIONS=(?:"([^"]*)"|([^\s"]+))/m.exec(dockerfile);
  if (match === null) throw new Error("memory: the Dockerfile has no ENV NODE_OPTIONS= line");
  return match[1] ?? match[2] ?? "";
}
const SERVICES = ["user", "point", "department", "beer"] as const;
type Service = (typeof SERVICES)[number];

const HOT_READS: Record<Service, { path: string; body: Uint8Array }> = {
  user: { path: "/mesh.user.v1.UserService/GetUser", body: frame(GetUserRequestSchema, { id: GEORGE_ID }) },
  point: { path: "/mesh.point.v1.PointService/GetUserPoints", body: frame(GetUserPointsRequestSchema, { userId: GEORGE_ID }) },
  department: { path: "/mesh.department.v1.DepartmentService/GetDepartment", body: frame(GetDepartmentRequestSchema, { id: REFERENCE_DEPARTMENTS[2]?.id ?? "" }) },
  beer: { path: "/mesh.beer.v1.BeerService/GetBeer", body: frame(GetBeerRequestSchema, { id: "01900000-0000-7000-8000-0000000000b1" }) },
};

export const memorySuite: Suite = async (ctx) => {
  const rows: Row[] = [];
  const out = tempBundleDir("bench-bundles");
  try {
    ctx.log("bundling the services (scripts/bundle.ts) to run them as the image does");
    await bundle(out, SERVICES);
    const ports = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await freePort()] as const))) as Record<Service, number>;
    const startedAt = performance.now();
    const children = SERVICES.map((service) => startService(ctx, out, service, ports));
    try {
      await Promise.all(SERVICES.map((s) => waitServing(ports[s])));
      await sleep(ctx.smoke ? 1_000 : 10_000);
      const quiet = await ctx.quiet();
      const idle = children.map((child, i) => {
        const service = SERVICES[i] as Service;
        const mem = memoryOf(child.pid ?? -1);
        rows.push({ case: `${service} idle`, figures: { service, phase: "idle", rssMiB: mib(mem.rss), privateMiB: mib(mem.private) }, quiet });
        ctx.log(`${service.padEnd(10)} idle        RSS ${fmt(mib(mem.rss)).padStart(5)} MiB (private ${fmt(mib(mem.private))} MiB)`);
        return mem;
      });
      // The soak first: after the hot reads, V8 gives memory back for minutes, which would read as negative growth.
      rows.push(...(await soak(ctx, ports, children)));
      for (const [i, service] of SERVICES.entries()) {
        const child = children[i] as ChildProcess;
        if (service === "beer") rows.push(await warmIdle(ctx, child, startedAt, idle[i]?.file ?? Number.NaN));
        const quiet = await ctx.quiet();
        const read = HOT_READS[service];
        const r = await h2load({ url: `http://127.0.0.1:${ports[service]}${read.path}`, body: read.body, inFlight: 100, durationS: ctx.durationS, core: ctx.loadCore });
        const mem = memoryOf(child.pid ?? -1);
        rows.push({
          case: `${service} load`,
          figures: { service, phase: "hot read, 100 in flight", rps: r.rps, rssMiB: mib(mem.rss), privateMiB: mib(mem.private), peakRssMiB: mib(mem.peak) },
          quiet,
        });
        ctx.log(`${service.padEnd(10)} under load  RSS ${fmt(mib(mem.rss)).padStart(5)} MiB, peak ${fmt(mib(mem.peak))} MiB  (${read.path.split("/").pop()} at ${fmt(r.rps)} req/s)`);
      }
    } finally {
      for (const child of children) child.kill("SIGTERM");
      await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once("exit", resolve)))));
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  return rows;
};

async function soak(ctx: BenchContext, ports: Record<Service, number>, children: ChildProcess[]): Promise<Row[]> {
  const quiet = await ctx.quiet();
  const samples: Array<Array<{ rss: number; private: number }>> = SERVICES.map(() => []);
  const every = Math.min(30, Math.max(1, ctx.soakS / 20)) * 1000;
  ctx.log(`soak: GetUserStatistics at 10 in flight for ${ctx.soakS} s, RSS sampled every ${every / 1000} s`);
  const load = h2load({
    url: `http://127.0.0.1:${ports.user}/mesh.user.v1.UserService/GetUserStatistics`,
    body: frame(GetUserStatisticsRequestSchema, { pageSize: 50 }),
    inFlight: 10,
    durationS: ctx.soakS,
    core: ctx.loadCore,
    latencies: false,
  });
  const started = performance.now();
  let done = false;
  void load.finally(() => (done = true));
  while (!done) {
    await Promise.race([sleep(every), load.catch(() => undefined)]);
    if (done) break;
    children.forEach((c, i) => samples[i]?.push(memoryOf(c.pid ?? -1)));
  }
  const r = await load;
  const seconds = (performance.now() - started) / 1000;
  return SERVICES.map((service, i) => {
    const all = samples[i] ?? [];
    const s = all.map((m) => m.rss);
    const at = Math.min(s.length - 1, Math.floor(s.length / 10));
    const base = s[at] ?? Number.NaN;
    const last = s[s.length - 1] ?? Number.NaN;
    const growth = (last - base) / base;
    // Private (anonymous) memory apart: RSS also counts the node binary's code pages as they are first run.
    const privateBase = all[at]?.private ?? Number.NaN;
    const privateLast = all[all.length - 1]?.private ?? Number.NaN;
    ctx.log(
      `${service.padEnd(10)} soak        RSS ${fmt(mib(base))} -> ${fmt(mib(last))} MiB (${fmt(growth * 100)}%), max ${fmt(mib(Math.max(...s)))} MiB over ${fmt(seconds)} s; private ${fmt(mib(privateBase))} -> ${fmt(mib(privateLast))} MiB`,
    );
    return {
      case: `${service} soak`,
      figures: {
        service,
        phase: `soak ${ctx.soakS} s`,
        soakSeconds: seconds,
        requests: r.requests,
        rps: r.rps,
        rssStartMiB: mib(base),
        rssEndMiB: mib(last),
        rssMaxMiB: mib(Math.max(...s)),
        growthPct: growth * 100,
        privateStartMiB: mib(privateBase),
        privateEndMiB: mib(privateLast),
        samples: s.length,
      },
      quiet,
    };
  });
}

/** How long an idle service may take to warm up: TurboFan's first compilation came at 8-12 minutes in every watch. */
const WARM_UP_LIMIT_S = 16 * 60;
/** What TurboFan's first compilation adds to an idle service's file-backed pages (its own code in the node binary: 5 MiB). */
const TURBOFAN_PAGES_BYTES = 3 * 1024 * 1024;

/**
 * Beer, left idle since it started (the soak does not call it), read once warm: once its file-backed pages have
 * grown by TURBOFAN_PAGES_BYTES since it went idle, and 30 s later, or at WARM_UP_LIMIT_S after the start, whichever
 * comes first (in the smoke at once). Waits only as long as it must: by now the service has been up for the soak.
 */
async function warmIdle(ctx: BenchContext, child: ChildProcess, startedAt: number, idleFileBytes: number): Promise<Row> {
  const pid = child.pid ?? -1;
  const upS = () => (performance.now() - startedAt) / 1000;
  const compiled = () => memoryOf(pid).file - idleFileBytes >= TURBOFAN_PAGES_BYTES;
  const limitS = ctx.smoke ? 0 : WARM_UP_LIMIT_S;
  if (!compiled() && upS() < limitS) ctx.log(`beer: waiting for TurboFan's first compilation (its pages), up to ${fmt(limitS / 60)} min after start`);
  while (!compiled() && upS() < limitS) await sleep(Math.min(30_000, (limitS - upS()) * 1000));
  const seen = compiled();
  if (seen && !ctx.smoke) await sleep(30_000);
  const quiet = await ctx.quiet();
  const mem = memoryOf(pid);
  const up = upS();
  ctx.log(
    `beer       idle, warm  RSS ${fmt(mib(mem.rss)).padStart(5)} MiB (private ${fmt(mib(mem.private))} MiB) after ${fmt(up / 60)} min; TurboFan's pages ${seen ? "in" : "not yet in"}`,
  );
  return {
    case: "beer idle, warm",
    figures: { service: "beer", phase: "idle, warm", rssMiB: mib(mem.rss), privateMiB: mib(mem.private), fileMiB: mib(mem.file), upSeconds: up, turbofanPagesIn: seen ? "yes" : "no" },
    quiet,
  };
}

function startService(ctx: BenchContext, out: string, service: Service, ports: Record<Service, number>): ChildProcess {
  const p = service.toUpperCase();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_OPTIONS: IMAGE_NODE_OPTIONS,
    [`${p}_HOST`]: "127.0.0.1",
    [`${p}_PORT`]: String(ports[service]),
    [`${p}_HTTP_PORT`]: "-1",
    [`${p}_ADMIN_PORT`]: "-1",
    [`${p}_DATABASE_SCHEMA`]: `bench_mem_${service}`,
    DATABASE_URL: ctx.databaseUrl,
    SEED: "true",
    LOG_LEVEL: "info",
    USER_SERVICE_ADDR: `127.0.0.1:${ports.user}`,
    POINT_SERVICE_ADDR: `127.0.0.1:${ports.point}`,
    DEPARTMENT_SERVICE_ADDR: `127.0.0.1:${ports.department}`,
    // The soak runs the fan-out at full speed: no cap may refuse it.
    MAX_CONCURRENT_RPCS: "0",
  };
  const main = join(out, `${service}.cjs`);
  const [command, args] = ctx.serverCore === undefined ? [process.execPath, [main]] : ["taskset", ["-c", ctx.serverCore, process.execPath, main]];
  // Logs (a line per call) go nowhere: the terminal would cost more than the service.
  return spawn(command, args, { cwd: out, env, stdio: ["ignore", "ignore", "inherit"] });
}

async function waitServing(port: number): Promise<void> {
  const health = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
  for (let i = 0; i < 300; i++) {
    const status = await health.check({ service: "" }, { timeoutMs: 1_000 }).then(
      (r) => r.status,
      () => Status.UNKNOWN,
    );
    if (status === Status.SERVING) return;
    await sleep(200);
  }
  throw new Error(`the service on port ${port} never reported SERVING`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function frame<D extends DescMessage>(schema: D, init: MessageInitShape<D>): Uint8Array {
  const message = toBinary(schema, create(schema, init));
  const out = new Uint8Array(5 + message.length);
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, 5);
  return out;
}
