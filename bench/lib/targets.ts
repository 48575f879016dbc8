// The issue's targets, checked against one run's figures (ratios within the run).
import { find, num, type Results, type Row, type Target } from "./results.js";
import { fmt } from "./stats.js";

export function checkTargets(results: Results): Target[] {
  const unary = results.suites.unary;
  const at = (handler: string, impl: string, inFlight: number) =>
    find(
      unary,
      (r) =>
        r.figures.handler === handler && r.figures.impl === impl && r.figures.inFlight === inFlight && r.figures.loadGenerator === "h2load" && r.figures.clientDeadline !== "none",
    );
  const targets: Target[] = [];

  // The echo targets are checked on the alternating rounds' medians when the run has them, with the unary
  // suite's one pass noted beside them; else on the one pass.
  const rounds = results.suites["unary-rounds"];
  const echo = (impl: string, inFlight: number) => find(rounds, (r) => r.figures.impl === impl && r.figures.inFlight === inFlight) ?? at("echo", impl, inFlight);
  const echoTarget = (theirs: string, inFlight: number, check: (ours: Row | undefined, other: Row | undefined) => Target): Target => {
    const [ours, other] = [echo("mesh-fast", inFlight), echo(theirs, inFlight)];
    const target = check(ours, other);
    if (ours?.figures.rounds === undefined || other?.figures.rounds === undefined) return target;
    // The one pass's reading without its inputs: "1.26x", "23.2 vs 32.8 ms".
    const once = check(at("echo", "mesh-fast", inFlight), at("echo", theirs, inFlight)).reached.replace(/ \(.*\)$/, "");
    const rounds = ours.figures.rounds === 1 ? "one alternating round" : `medians of ${ours.figures.rounds} alternating rounds`;
    return annotated(target, `${rounds}; one pass: ${once}`);
  };
  targets.push(
    echoTarget("grpc-js", 100, (a, b) => ratio("unary server vs grpc-js (echo, 100 in flight)", ">= 1.5x grpc-js requests/s", num(a, "rps"), num(b, "rps"), 1.5, "req/s")),
  );
  targets.push(
    echoTarget("grpc-js", 100, (a, b) => compare("unary server p99 vs grpc-js (echo, 100 in flight)", "p99 no worse than grpc-js", num(a, "p99Ms"), num(b, "p99Ms"), "ms")),
  );
  targets.push(
    echoTarget("raw-http2", 100, (a, b) => ratio("unary server vs raw node:http2 (echo, 100 in flight)", ">= 0.6x raw requests/s", num(a, "rps"), num(b, "rps"), 0.6, "req/s")),
  );
  targets.push(echoTarget("grpc-js", 1, (a, b) => compare("unary p50 at 1 in flight vs grpc-js (echo)", "p50 <= grpc-js's", num(a, "p50Ms"), num(b, "p50Ms"), "ms")));

  const client = results.suites.client;
  const lean = find(client, (r) => r.figures.client === "channel-lean");
  const grpcClient = find(client, (r) => r.figures.client === "grpc-js");
  targets.push(
    ratioAtMost("client CPU per call vs grpc-js client", "<= 0.6x grpc-js's CPU per call", num(lean, "cpuUsPerCall"), num(grpcClient, "cpuUsPerCall"), 0.6, "us"),
  );

  const getUserRow = at("getuser", "mesh-fast", 100);
  const getUser = num(getUserRow, "rps");
  const echoBound = num(echo("mesh-fast", 100), "rps");
  const cpuPerGetUser = num(getUserRow, "cpuUsPerRequest");
  // What one core can do at the CPU GetUser itself takes (the server is pinned to one core).
  const cpuBound = cpuPerGetUser === undefined ? undefined : 1e6 / cpuPerGetUser;
  // Raw node:http2 serving GetUser from the same repository: the work a GetUser must do, with no RPC stack over it.
  const rawBound = num(at("getuser", "raw-http2", 100), "rps");
  const pgBound = num(
    find(results.suites.database, (r) => r.case === "user-by-id pgbench"),
    "qps",
  );
  for (const [label, nodeBound] of [
    ["Node-bound = our echo rate", echoBound],
    ["Node-bound = 1 core / GetUser's own CPU per call", cpuBound],
    ["Node-bound = raw node:http2 with the same repository", rawBound],
  ] as const) {
    const bound = nodeBound === undefined || pgBound === undefined ? undefined : Math.min(nodeBound, pgBound);
    targets.push({
      name: `GetUser (PostgreSQL) vs the lesser bound (${label})`,
      wanted: ">= 0.8x min(Node-bound, PostgreSQL-bound)",
      reached:
        getUser === undefined || bound === undefined
          ? "not measured"
          : `${fmt(getUser)} req/s = ${fmt(getUser / bound)}x min(Node ${fmt(nodeBound)}, pgbench ${fmt(pgBound)})`,
      met: getUser === undefined || bound === undefined ? undefined : getUser >= 0.8 * bound,
    });
  }

  const fan =
    find(results.suites["fan-out"], (r) => r.figures.rpc === "GetUserStatistics" && r.figures.mode === "concurrent" && r.figures.inFlight === 1) ??
    find(results.suites["fan-out"], (r) => r.figures.rpc === "GetUserStatistics" && r.figures.mode === "concurrent");
  const span = num(fan, "fanOutP50Ms");
  const slowest = num(fan, "slowestBranchP50Ms");
  targets.push({
    name: "concurrent fan-out (GetUserStatistics, 1 in flight)",
    wanted: "p50 <= slowest branch p50 + 1 ms",
    reached: span === undefined || slowest === undefined ? "not measured" : `fan-out p50 ${fmt(span)} ms, slowest branch p50 ${fmt(slowest)} ms`,
    met: span === undefined || slowest === undefined ? undefined : span <= slowest + 1,
  });

  const memory = results.suites.memory ?? [];
  const idle = memory.filter((r) => r.figures.phase === "idle");
  targets.push({
    name: "idle RSS per service",
    wanted: "<= 80 MB each",
    reached:
      idle.length === 0
        ? "not measured"
        : `RSS ${idle.map((r) => `${r.figures.service} ${fmt(num(r, "rssMiB"))}`).join(", ")} MiB (private: ${idle.map((r) => fmt(num(r, "privateMiB"))).join(", ")} MiB)`,
    met: idle.length === 0 ? undefined : idle.every((r) => (num(r, "rssMiB") ?? Infinity) * 1.048576 <= 80),
  });
  const soak = memory.filter((r) => String(r.figures.phase).startsWith("soak"));
  // Ten seconds after start is not the whole story: an idle service grows for minutes as V8's compilers warm up
  // on its readiness check, and TurboFan's first compilation maps 5 MiB of the node binary (docs/benchmarks/README.md,
  // Memory). Beer, which the soak does not call, is read once that has happened.
  const warm = memory.find((r) => r.figures.phase === "idle, warm");
  targets.push({
    name: "idle RSS once warm (beer, left idle, after TurboFan's first compilation)",
    wanted: "<= 80 MB",
    reached:
      warm === undefined
        ? "not measured"
        : `RSS ${fmt(num(warm, "rssMiB"))} MiB after ${fmt((num(warm, "upSeconds") ?? Number.NaN) / 60)} min (private ${fmt(num(warm, "privateMiB"))} MiB)${warm.figures.turbofanPagesIn === "yes" ? "" : "; TurboFan had not compiled yet"}`,
    met: warm === undefined ? undefined : (num(warm, "rssMiB") ?? Infinity) * 1.048576 <= 80,
  });
  targets.push({
    name: `RSS growth over the soak${soak[0] === undefined ? "" : ` (${fmt(num(soak[0], "soakSeconds"))} s)`}`,
    wanted: "<= 10% each",
    reached: soak.length === 0 ? "not measured" : soak.map((r) => `${r.figures.service} ${fmt(num(r, "growthPct"))}%`).join(", "),
    met: soak.length === 0 ? undefined : soak.every((r) => (num(r, "growthPct") ?? Infinity) <= 10),
  });
  return targets;
}

/** The target with `note` added to what was reached, in its parentheses or in new ones (when it was measured). */
function annotated(target: Target, note: string): Target {
  if (target.met === undefined) return target;
  const reached = target.reached.endsWith(")") ? `${target.reached.slice(0, -1)}; ${note})` : `${target.reached} (${note})`;
  return { ...target, reached };
}

function ratio(name: string, wanted: string, ours: number | undefined, theirs: number | undefined, min: number, unit: string): Target {
  if (ours === undefined || theirs === undefined) return { name, wanted, reached: "not measured", met: undefined };
  return { name, wanted, reached: `${fmt(ours / theirs)}x (${fmt(ours)} vs ${fmt(theirs)} ${unit})`, met: ours >= min * theirs };
}

function ratioAtMost(name: string, wanted: string, ours: number | undefined, theirs: number | undefined, max: number, unit: string): Target {
  if (ours === undefined || theirs === undefined) return { name, wanted, reached: "not measured", met: undefined };
  return { name, wanted, reached: `${fmt(ours / theirs)}x (${fmt(ours)} vs ${fmt(theirs)} ${unit})`, met: ours <= max * theirs };
}

function compare(name: string, wanted: string, ours: number | undefined, theirs: number | undefined, unit: string): Target {
  if (ours === undefined || theirs === undefined) return { name, wanted, reached: "not measured", met: undefined };
  return { name, wanted, reached: `${fmt(ours)} vs ${fmt(theirs)} ${unit}`, met: ours <= theirs };
}

export type { Row };
