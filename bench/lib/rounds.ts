// Echo servers measured in alternating rounds: each round starts every server
// in turn (pinned as in the unary suite: server on one core, h2load on the
// other, every call with a 10 s deadline), warms it, and measures it at each
// in-flight level. On this machine one server's rate moves by 10-20% between
// measurements minutes apart; taking turns spreads that drift over all of
// them, and the median of the rounds is the reading. Used by the unary-rounds
// suite and by bench/rounds.ts.
import { spawnRole } from "./children.js";
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

/** Every round's point of one server (and set of Node flags) at one level. */
export interface RoundSeries {
  /** The server, with its Node flags in brackets when it ran with some. */
  readonly name: string;
  readonly impl: string;
  readonly inFlight: number;
  readonly points: RoundPoint[];
}

export interface ServerRoundsOptions {
  /** Servers of the unary suite (`mesh-fast`), or stacks of the layers suite (`layer:fast+log`). */
  readonly impls: readonly string[];
  readonly levels: readonly number[];
  readonly rounds: number;
  readonly durationS: number;
  readonly warmS: number;
  /** Sets of Node flags, each server run once per set ("" for Node's defaults). */
  readonly flagSets?: readonly string[];
  readonly serverCore: string | undefined;
  readonly loadCore: string | undefined;
  readonly compiledDir: string | undefined;
  /** Called before each server starts (the suite waits for a quiet machine there). */
  readonly beforeEach?: () => Promise<void>;
  readonly log: (line: string) => void;
}

export async function serverRounds(o: ServerRoundsOptions): Promise<RoundSeries[]> {
  const series = new Map<string, RoundSeries>();
  for (let round = 1; round <= o.rounds; round++) {
    for (const impl of o.impls) {
      for (const flags of o.flagSets ?? [""]) {
        const name = flags === "" ? impl : `${impl} [${flags}]`;
        await o.beforeEach?.();
        const child = spawnRole({ ...serverRole(impl), core: o.serverCore, compiledDir: o.compiledDir, nodeFlags: flags === "" ? [] : flags.split(/\s+/) });
        try {
          const { port } = await child.next<{ type: "ready"; port: number }>("ready");
          const url = `http://127.0.0.1:${port}/mesh.user.v1.UserService/GetUser`;
          await h2load({ url, body: getUserRequestFrame(), inFlight: 100, durationS: o.warmS, core: o.loadCore, grpcTimeout: CLIENT_DEADLINE });
          const line: string[] = [];
          for (const inFlight of o.levels) {
            const cpu = processCpuMicros(child.pid);
            const r = await h2load({ url, body: getUserRequestFrame(), inFlight, durationS: o.durationS, core: o.loadCore, grpcTimeout: CLIENT_DEADLINE });
            const point = { rps: r.rps, p50: r.p50, p99: r.p99, cpuUs: (processCpuMicros(child.pid) - cpu) / Math.max(1, r.requests), errors: r.failed };
            const key = `${name} ${inFlight}`;
            let s = series.get(key);
            if (s === undefined) series.set(key, (s = { name, impl, inFlight, points: [] }));
            s.points.push(point);
            line.push(`${inFlight} in flight ${fmtPoint(point)}`);
          }
          o.log(`round ${round} ${name.padEnd(12)} ${line.join("   ")}`);
        } finally {
          await child.stop();
        }
      }
    }
  }
  return [...series.values()];
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
