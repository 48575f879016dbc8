// What instrumentation costs: unary gRPC calls over one HTTP/2 connection with
// N in flight, server and client each in its own process (pinned to cores 0
// and 1 when taskset exists), in three modes:
//   none     no observing interceptors (the logging/error interceptor only);
//   metrics  grpc_server_* / grpc_client_* metrics, tracing off (the default);
//   tracing  metrics and a span per call on both sides, exported over OTLP
//            http/protobuf (BatchSpanProcessor) to a sink on loopback.
// Then the interceptors alone around a handler that answers at once (no
// network), which isolates their cost from connect-node's ~400 us per call,
// and the Kysely query log hook that feeds the query duration histogram.
// Prints requests/s and CPU microseconds per call (process CPU / calls).
//
//   node --import tsx bench/instrumentation.ts [--calls 20000] [--inflight 32] [--rounds 3]
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";

type Mode = "none" | "metrics" | "tracing";
const MODES: readonly Mode[] = ["none", "metrics", "tracing"];

interface ClientResult {
  readonly calls: number;
  readonly seconds: number;
  readonly cpuMicros: number;
}

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    calls: { type: "string", default: "20000" },
    inflight: { type: "string", default: "32" },
    rounds: { type: "string", default: "3" },
    queries: { type: "string", default: "5000" },
    micro: { type: "string", default: "200000" },
  },
});

const role = positionals[0];
if (role === "server") await runServer(positionals[1] as Mode);
else if (role === "client") await runClient(positionals[1] as Mode, Number(positionals[2]));
else if (role === "micro") await runMicro(positionals[1] as Mode, positionals[2] as "server" | "client", Number(args.micro));
else if (role === "db") await runDatabase(Number(args.queries));
else await orchestrate();

async function runServer(mode: Mode): Promise<void> {
  const { startTelemetry } = await import("../services/platform/telemetry.js");
  const telemetry = await startTelemetry({ service: "bench-server", enabled: mode === "tracing" });
  const { Registry } = await import("prom-client");
  const { PointService } = await import("../gen/mesh/point/v1/point_pb.js");
  const { createLogger, logDestination } = await import("../services/platform/logger.js");
  const { createServerObserver } = await import("../services/platform/observe-server.js");
  const { createRpcMetrics } = await import("../services/platform/rpc-metrics.js");
  const { createServer } = await import("../services/platform/server.js");
  const { rpcTracer } = await import("../services/platform/tracing.js");
  const { ServingStatus } = await import("../services/platform/health.js");
  // A log line per call, as in production, written where it costs only the formatting.
  const logger = createLogger({ service: "bench", destination: logDestination("/dev/null") });
  const server = createServer({
    config: {
      host: "127.0.0.1",
      port: 0,
      httpPort: -1,
      shutdownGraceMs: 1_000,
      maxConnectionAgeMs: 0,
      maxConnectionAgeGraceMs: 0,
      readMaxBytes: 4 << 20,
      writeMaxBytes: 4 << 20,
    },
    logger,
    ...(mode === "none"
      ? {}
      : { observer: createServerObserver({ metrics: createRpcMetrics(new Registry(), "server"), tracer: rpcTracer(mode === "tracing") }) }),
  });
  server.register(PointService, { getUserPoints: (req) => ({ userId: req.userId, points: 42n }) });
  const { port } = await server.listen();
  server.health.setAll(ServingStatus.SERVING);
  process.on("message", (message) => {
    if (message === "cpu") process.send?.({ cpu: process.cpuUsage() });
    if (message === "stop") {
      void server
        .stop()
        .then(() => telemetry.shutdown())
        .then(() => process.disconnect());
    }
  });
  process.send?.({ port });
}

async function runClient(mode: Mode, port: number): Promise<void> {
  const { startTelemetry } = await import("../services/platform/telemetry.js");
  const telemetry = await startTelemetry({ service: "bench-client", enabled: mode === "tracing" });
  const { createClient } = await import("@connectrpc/connect");
  const { createGrpcTransport, Http2SessionManager } = await import("@connectrpc/connect-node");
  const { Registry } = await import("prom-client");
  const { PointService } = await import("../gen/mesh/point/v1/point_pb.js");
  const { createClientInterceptor } = await import("../services/platform/observe-client.js");
  const { createRpcMetrics } = await import("../services/platform/rpc-metrics.js");
  const { rpcTracer } = await import("../services/platform/tracing.js");
  const baseUrl = `http://127.0.0.1:${port}`;
  const sessionManager = new Http2SessionManager(baseUrl);
  const interceptors =
    mode === "none" ? [] : [createClientInterceptor({ metrics: createRpcMetrics(new Registry(), "client"), tracer: rpcTracer(mode === "tracing") })];
  const client = createClient(PointService, createGrpcTransport({ baseUrl, sessionManager, interceptors }));
  const run = async (calls: number): Promise<void> => {
    let next = 0;
    const worker = async () => {
      while (next < calls) {
        next++;
        await client.getUserPoints({ userId: "01900000-0000-7000-8000-000000000001" });
      }
    };
    await Promise.all(Array.from({ length: Number(args.inflight) }, worker));
  };
  await run(Math.min(2_000, Number(args.calls)));
  // Warm: the orchestrator reads the server's CPU now, then says go.
  const go = new Promise((resolve) => process.once("message", resolve));
  process.send?.("warm");
  await go;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run(Number(args.calls));
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  sessionManager.abort();
  await telemetry.shutdown();
  const result: ClientResult = { calls: Number(args.calls), seconds, cpuMicros: used.user + used.system };
  process.send?.(result);
  process.disconnect();
}

/** The server chain (observer + logging interceptor) or the client interceptor around an immediate answer. */
async function runMicro(mode: Mode, side: "server" | "client", calls: number): Promise<void> {
  const { startTelemetry } = await import("../services/platform/telemetry.js");
  const telemetry = await startTelemetry({ service: "bench-micro", enabled: mode === "tracing" });
  const { create } = await import("@bufbuild/protobuf");
  const { createContextValues } = await import("@connectrpc/connect");
  const { Registry } = await import("prom-client");
  const { PointService, GetUserPointsRequestSchema, GetUserPointsResponseSchema } = await import("../gen/mesh/point/v1/point_pb.js");
  const { createLogger, logDestination } = await import("../services/platform/logger.js");
  const { createServerInterceptor, peerKey } = await import("../services/platform/interceptors.js");
  const { createServerObserver } = await import("../services/platform/observe-server.js");
  const { createClientInterceptor } = await import("../services/platform/observe-client.js");
  const { createRpcMetrics } = await import("../services/platform/rpc-metrics.js");
  const { rpcTracer } = await import("../services/platform/tracing.js");
  type Next = Parameters<ReturnType<typeof createServerObserver>>[0];
  const method = PointService.method.getUserPoints;
  const message = create(GetUserPointsResponseSchema, { userId: "u", points: 42n });
  const answer: Next = async () => ({ stream: false, service: PointService, method, header: new Headers(), trailer: new Headers(), message });
  const logger = createLogger({ service: "bench", destination: logDestination("/dev/null") });
  const registry = new Registry();
  const tracer = rpcTracer(mode === "tracing");
  const logged = createServerInterceptor(logger)(answer);
  const server = mode === "none" ? logged : createServerObserver({ metrics: createRpcMetrics(registry, "server"), tracer })(logged);
  const client = mode === "none" ? answer : createClientInterceptor({ metrics: createRpcMetrics(registry, "client"), tracer })(answer);
  const signal = new AbortController().signal;
  const input = create(GetUserPointsRequestSchema, { userId: "u" });
  const request = () => ({
    stream: false as const,
    service: PointService,
    method,
    requestMethod: "POST",
    url: "http://127.0.0.1:50052/mesh.point.v1.PointService/GetUserPoints",
    signal,
    header: new Headers(),
    contextValues: createContextValues().set(peerKey, "127.0.0.1"),
    message: input,
  });
  const chain = side === "server" ? server : client;
  for (let i = 0; i < calls / 10; i++) await chain(request());
  const cpu = process.cpuUsage();
  for (let i = 0; i < calls; i++) await chain(request());
  // Spans end synchronously but are exported in batches: count that work too.
  await telemetry.shutdown();
  const used = process.cpuUsage(cpu);
  process.send?.((used.user + used.system) / calls);
  process.disconnect();
}

/** Kysely with and without the log hook that times every query. */
async function runDatabase(queries: number): Promise<void> {
  const { sql } = await import("kysely");
  const { openDatabase } = await import("../services/platform/database.js");
  const { createLogger } = await import("../services/platform/logger.js");
  const { createDatabaseMetrics } = await import("../services/platform/database-metrics.js");
  const { Registry } = await import("prom-client");
  const logger = createLogger({ service: "bench", level: "warn" });
  const url = process.env.DATABASE_URL || undefined;
  const config = { url, schema: "bench_instrumentation", dataDir: undefined, poolMax: 10, connectTimeoutMs: 1_000, statementTimeoutMs: 5_000 };
  const rows: string[] = [];
  for (const hooked of [false, true, false, true]) {
    const metrics = createDatabaseMetrics(new Registry());
    const database = await openDatabase(config, logger, hooked ? { onQuery: metrics.onQuery } : {});
    const inflight = database.kind === "postgres" ? 32 : 1;
    const run = async (count: number) => {
      let next = 0;
      const worker = async () => {
        while (next < count) {
          next++;
          await sql`select 1`.execute(database.db);
        }
      };
      await Promise.all(Array.from({ length: inflight }, worker));
    };
    await run(500);
    const cpu = process.cpuUsage();
    const started = performance.now();
    await run(queries);
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    rows.push(
      `${database.kind.padEnd(8)} ${(hooked ? "log hook" : "no hook").padEnd(9)} ${fmt(queries / seconds).padStart(8)} q/s ${fmt((used.user + used.system) / queries).padStart(6)} us CPU/query`,
    );
    await database.close();
  }
  process.send?.(rows);
  process.disconnect();
}

async function orchestrate(): Promise<void> {
  const pin = spawnSync("taskset", ["-c", "0", "true"]).status === 0;
  const sink = await startSink();
  const env = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sink.port}`, OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf" };
  console.log(`unary GetUserPoints, ${args.calls} calls, ${args.inflight} in flight, one connection, ${args.rounds} rounds per mode; pinned: ${pin}`);
  console.log("mode      req/s   server us CPU/call   client us CPU/call");
  const results = new Map<Mode, Array<{ rps: number; server: number; client: number }>>();
  for (let round = 0; round < Number(args.rounds); round++) {
    for (const mode of MODES) {
      const server = fork(["server", mode], env, pin ? "0" : undefined);
      const { port } = await message<{ port: number }>(server);
      const client = fork(["client", mode, String(port)], env, pin ? "1" : undefined);
      await message<"warm">(client);
      const serverCpu = await cpuOf(server);
      const done = message<ClientResult>(client);
      client.send("go");
      const result = await done;
      const serverUsed = await cpuOf(server);
      server.send("stop");
      await exited(server);
      const row = {
        rps: result.calls / result.seconds,
        server: (serverUsed.user + serverUsed.system - serverCpu.user - serverCpu.system) / result.calls,
        client: result.cpuMicros / result.calls,
      };
      results.set(mode, [...(results.get(mode) ?? []), row]);
    }
  }
  for (const mode of MODES) {
    const rows = results.get(mode) ?? [];
    const med = (pick: (r: (typeof rows)[number]) => number) => median(rows.map(pick));
    console.log(`${mode.padEnd(8)} ${fmt(med((r) => r.rps)).padStart(7)}   ${fmt(med((r) => r.server)).padStart(18)}   ${fmt(med((r) => r.client)).padStart(18)}`);
  }
  console.log(`spans received by the OTLP sink: ${sink.requests} export requests, ${fmt(sink.bytes / 1024)} KiB`);

  console.log(`\ninterceptors alone, ${args.micro} calls answered at once, us CPU per call (median of ${args.rounds})`);
  console.log("mode      server chain (observer + logging)   client interceptor");
  for (const mode of MODES) {
    const micros = { server: [] as number[], client: [] as number[] };
    for (let round = 0; round < Number(args.rounds); round++) {
      for (const side of ["server", "client"] as const) {
        const child = fork(["micro", mode, side], env, pin ? "0" : undefined);
        micros[side].push(await message<number>(child));
        await exited(child);
      }
    }
    console.log(`${mode.padEnd(8)} ${fmt(median(micros.server)).padStart(30)}   ${fmt(median(micros.client)).padStart(18)}`);
  }
  console.log("(the server chain includes the logging interceptor and its log line in every mode)");
  sink.close();

  console.log(`\nKysely query log hook, ${args.queries} "select 1" queries (DATABASE_URL: ${process.env.DATABASE_URL ? "PostgreSQL, 32 in flight" : "unset, PGlite, 1 in flight"})`);
  const db = fork(["db"], process.env, undefined);
  for (const row of await message<string[]>(db)) console.log(row);
  await exited(db);
}

function fork(roleArgs: string[], env: NodeJS.ProcessEnv, core: string | undefined): ChildProcess {
  const node = [...process.execArgv, import.meta.filename, ...roleArgs, "--calls", String(args.calls), "--inflight", String(args.inflight), "--queries", String(args.queries), "--micro", String(args.micro)];
  const [command, argv] = core === undefined ? [process.execPath, node] : ["taskset", ["-c", core, process.execPath, ...node]];
  return spawn(command, argv, { env, stdio: ["ignore", "inherit", "inherit", "ipc"] });
}

function message<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    child.once("message", (m) => resolve(m as T));
    child.once("exit", (code) => reject(new Error(`child exited with ${code} before answering`)));
  });
}

async function cpuOf(child: ChildProcess): Promise<NodeJS.CpuUsage> {
  const answer = message<{ cpu: NodeJS.CpuUsage }>(child);
  child.send("cpu");
  return (await answer).cpu;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", () => resolve())));
}

/** An OTLP/HTTP endpoint that accepts and drops spans. */
async function startSink(): Promise<{ port: number; readonly requests: number; readonly bytes: number; close(): void }> {
  const counts = { requests: 0, bytes: 0 };
  const server = http.createServer((req, res) => {
    counts.requests++;
    req.on("data", (chunk: Buffer) => (counts.bytes += chunk.length));
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/x-protobuf" });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get requests() {
      return counts.requests;
    },
    get bytes() {
      return counts.bytes;
    },
    close: () => server.close(),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}
