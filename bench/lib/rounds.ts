// Echo servers measured in alternating rounds: each round starts every server
// in turn (pinned as in the unary suite: server on one core, h2load on the
// other, every call with a 10 s deadline unless a server says otherwise),
// warms it, and measures it at each in-flight level. On this machine one
// server's rate moves by 10-20% between measurements minutes apart; taking
// turns spreads that drift over all of them, and the median of the rounds is
// the reading. Used by the unary-rounds and layers suites and by bench/rounds.ts.
import { spawnRole } from "./children.js";
import type { BenchContext } from "./context.js";
import { getUserRequestFrame } from "./fixtures.js";
import { h2load } from "./h2load.js";
import { processCpuMicros } from "./machine.js";
import { fmt } from "./stats.js";
import { CLIENT_DEADLINE } from "../suites/unary.js";

/** One server at one in-flight level in one round. */
export interface RoundPoint {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** Server CPU per request, microseconds. */
  readonly cpuUs: number;
  /** Calls h2load saw fail. */
  readonly errors: number;
}

/** A server to take turns with the others. */
export interface RoundServer {
  /** How the results name it. */
  readonly name: string;
  /** A server of the unary suite (`mesh-fast`), or a stack of the layers suite (`layer:fast+log`). */
  readonly impl: string;
  /** Node flags it runs with (none: Node's defaults). */
  readonly nodeFlags?: readonly string[];
  /** The deadline every call carries; null: none (the server's default deadline applies). Default CLIENT_DEADLINE. */
  readonly grpcTimeout?: string | null;
}

/** Every round's point of one server at one level. */
export interface RoundSeries {
  readonly server: RoundServer;
  readonly inFlight: number;
  readonly points: RoundPoint[];
}

export interface ServerRoundsOptions {
  readonly servers: readonly RoundServer[];
  readonly levels: readonly number[];
  readonly rounds: number;
  readonly durationS: number;
  readonly warmS: number;
  readonly serverCore: string | undefined;
  readonly loadCore: string | undefined;
  readonly compiledDir: string | undefined;
  /** Called before each server starts (the suites wait for a quiet machine there). */
  readonly beforeEach?: () => Promise<void>;
  readonly log: (line: string) => void;
}

export async function serverRounds(o: ServerRoundsOptions): Promise<RoundSeries[]> {
  const series = new Map<string, RoundSeries>();
  for (let round = 1; round <= o.rounds; round++) {
    for (const server of o.servers) {
      await o.beforeEach?.();
      const child = spawnRole({ ...serverRole(server.impl), core: o.serverCore, compiledDir: o.compiledDir, nodeFlags: [...(server.nodeFlags ?? [])] });
      try {
        const { port } = await child.next<{ type: "ready"; port: number }>("ready");
        const url = `http://127.0.0.1:${port}/mesh.user.v1.UserService/GetUser`;
        const grpcTimeout = server.grpcTimeout === null ? undefined : (server.grpcTimeout ?? CLIENT_DEADLINE);
        await h2load({ url, body: getUserRequestFrame(), inFlight: 100, durationS: o.warmS, core: o.loadCore, grpcTimeout });
        const line: string[] = [];
        for (const inFlight of o.levels) {
          const cpu = processCpuMicros(child.pid);
          const r = await h2load({ url, body: getUserRequestFrame(), inFlight, durationS: o.durationS, core: o.loadCore, grpcTimeout });
          const point = { rps: r.rps, p50: r.p50, p99: r.p99, cpuUs: (processCpuMicros(child.pid) - cpu) / Math.max(1, r.requests), errors: r.failed };
          const key = `${server.name} ${inFlight}`;
          let s = series.get(key);
          if (s === undefined) series.set(key, (s = { server, inFlight, points: [] }));
          s.points.push(point);
          line.push(`${inFlight} in flight ${fmtPoint(point)}`);
        }
        o.log(`round ${round} ${server.name.padEnd(12)} ${line.join("   ")}`);
      } finally {
        await child.stop();
      }
    }
  }
  return [...series.values()];
}

/**
 * serverRounds as a suite runs it: its cores, build, durations and log, 3 rounds (1 in the smoke), each server
 * start waiting for a quiet machine.
 */
export function suiteRounds(ctx: BenchContext, servers: readonly RoundServer[], levels: readonly number[]): Promise<RoundSeries[]> {
  return serverRounds({
    servers,
    levels,
    rounds: ctx.smoke ? 1 : SUITE_ROUNDS,
    durationS: ctx.durationS,
    warmS: ctx.warmS,
    serverCore: ctx.serverCore,
    loadCore: ctx.loadCore,
    compiledDir: ctx.compiledDir,
    beforeEach: async () => void (await ctx.quiet()),
    log: ctx.log,
  });
}

const SUITE_ROUNDS = 3;

/** A series' figures for a results row: the medians, and the range of requests/s. */
export function roundFigures(s: RoundSeries): Record<string, number> {
  const m = medianPoint(s.points);
  const rps = s.points.map((p) => p.rps);
  return {
    inFlight: s.inFlight,
    rounds: s.points.length,
    rps: m.rps,
    rpsMin: Math.min(...rps),
    rpsMax: Math.max(...rps),
    p50Ms: m.p50,
    p99Ms: m.p99,
    cpuUsPerRequest: m.cpuUs,
    errors: m.errors,
  };
}

/** A server of the unary suite (`mesh-fast`), or of the layers suite (`layer:fast+log`). */
export function serverRole(impl: string): { role: string; args: string[] } {
  if (impl.startsWith("layer:")) return { role: "roles/layer-server.ts", args: ["--layer", impl.slice("layer:".length)] };
  return { role: "roles/unary-server.ts", args: ["--impl", impl, "--handler", "echo"] };
}

/** The middle value; for an even count, the mean of the two middle ones. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** The medians of a series' points, figure by figure. */
export function medianPoint(points: readonly RoundPoint[]): RoundPoint {
  return {
    rps: median(points.map((p) => p.rps)),
    p50: median(points.map((p) => p.p50)),
    p99: median(points.map((p) => p.p99)),
    cpuUs: median(points.map((p) => p.cpuUs)),
    errors: points.reduce((sum, p) => sum + p.errors, 0),
  };
}

export function fmtPoint(p: RoundPoint): string {
  return `${fmt(p.rps)} req/s  p50 ${fmt(p.p50)} ms  p99 ${fmt(p.p99)} ms  ${fmt(p.cpuUs)} us/req${p.errors > 0 ? `  ${p.errors} errors` : ""}`;
}
