// ghz (bojand/ghz, a Go gRPC load generator) as a second opinion on unary
// GetUser: the schema from proto/, N workers on one connection, for a
// duration. Unlike h2load it reads grpc-status, so failures are its own count.
import { fileURLToPath } from "node:url";
import { GEORGE_ID } from "./fixtures.js";
import { run, type LoadResult } from "./h2load.js";

const PROTO_ROOT = fileURLToPath(new URL("../../proto", import.meta.url));

export interface GhzOptions {
  readonly port: number;
  readonly inFlight: number;
  readonly durationS: number;
  readonly core: string | undefined;
}

interface GhzReport {
  count: number;
  rps: number;
  latencyDistribution: Array<{ percentage: number; latency: number }> | null;
  statusCodeDistribution: Record<string, number> | null;
  errorDistribution: Record<string, number> | null;
}

/**
 * ghz closes its connection when the duration is up: the calls then in flight
 * end UNAVAILABLE with this client-side error. They are not the server's failures.
 */
const CUT_AT_STOP = "use of closed network connection";

export async function ghz(options: GhzOptions): Promise<LoadResult> {
  const args = [
    "--insecure",
    "--proto",
    `${PROTO_ROOT}/mesh/user/v1/user.proto`,
    "--import-paths",
    PROTO_ROOT,
    "--call",
    "mesh.user.v1.UserService.GetUser",
    "-d",
    JSON.stringify({ id: GEORGE_ID }),
    "-c",
    String(options.inFlight),
    "--connections",
    "1",
    "-z",
    `${options.durationS}s`,
    "--format",
    "json",
    `127.0.0.1:${options.port}`,
  ];
  const out = await run(options.core === undefined ? "ghz" : "taskset", options.core === undefined ? args : ["-c", options.core, "ghz", ...args]);
  const report = JSON.parse(out.slice(out.indexOf("{"))) as GhzReport;
  const latency = (p: number) => (report.latencyDistribution?.find((d) => d.percentage === p)?.latency ?? Number.NaN) / 1e6;
  const ok = report.statusCodeDistribution?.OK ?? 0;
  const cut = Object.entries(report.errorDistribution ?? {}).reduce((sum, [error, n]) => sum + (error.includes(CUT_AT_STOP) ? n : 0), 0);
  return {
    requests: ok,
    failed: report.count - ok - Math.min(cut, options.inFlight),
    seconds: options.durationS,
    rps: report.rps,
    p50: latency(50),
    p99: latency(99),
  };
}
