// The RPC line written by our serializer is the line pino writes for the same
// fields: byte for byte, for the loggers createLogger makes (with and without
// trace ids, children with bindings, both levels), and through pino itself
// for a logger configured in a way the serializer does not reproduce.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace";
import { pino } from "pino";
import { createLogger, type Logger } from "./logger.js";
import { rpcLineWriter, type RpcFields } from "./rpc-line.js";
import { startTelemetry } from "./telemetry.js";

const telemetry = await startTelemetry({ service: "rpc-line-test", enabled: true, spanProcessors: [new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() })] });
after(() => telemetry.shutdown());

function capture(): { lines: string[]; destination: pino.DestinationStream } {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(line) } };
}

/** pino's own line for the same call, as the interceptor wrote it before. */
function pinoLine(logger: Logger, level: "info" | "debug", f: RpcFields): void {
  const fields: Record<string, unknown> = { rpc: f.rpc, code: f.code, duration_ms: f.durationMs, peer: f.peer, request_id: f.requestId };
  if (f.error !== undefined) fields.error = f.error;
  logger[level](fields, "rpc");
}

/** The two lines with their time replaced: they are written a moment apart (the time is checked to be there). */
function withoutTime(line: string): string {
  assert.match(line, /,"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"/);
  return line.replace(/,"time":"[^"]*"/, ',"time":""');
}

const plain: RpcFields = { rpc: "mesh.user.v1.UserService/GetUser", code: "OK", durationMs: 0.123, peer: "127.0.0.1", requestId: undefined, error: undefined };
const CASES: Array<[string, RpcFields]> = [
  ["an answered call without a request id", plain],
  ["a request id and an IPv6 peer", { ...plain, requestId: "req-42", peer: "::1", durationMs: 12 }],
  ["a failed call", { ...plain, code: "NotFound", error: 'user "u-9" not found', durationMs: 1.5 }],
  ["quotes, backslashes and control characters a caller sent", { ...plain, requestId: 'a"b\\c\nd\te\u0001', error: "line one\nline two\\" }],
  ["text beyond ASCII", { ...plain, requestId: "é—✓ 𝄞", error: "ünïcödé \u2028 \u007f" }],
  ["a long message (pino's JSON.stringify branch)", { ...plain, error: "x".repeat(150) + '"' }],
  ["a zero duration", { ...plain, durationMs: 0 }],
];

function sameLines(logger: Logger, destinationLines: string[], level: "info" | "debug", fields: RpcFields): void {
  const write = rpcLineWriter(logger);
  write(level, fields);
  pinoLine(logger, level, fields);
  assert.equal(destinationLines.length, 2);
  const [ours, theirs] = destinationLines.splice(0, 2) as [string, string];
  assert.equal(withoutTime(ours), withoutTime(theirs));
  assert.ok(ours.endsWith("}\n"));
  assert.deepEqual(Object.keys(JSON.parse(ours)).at(-1), "msg");
}

for (const [name, fields] of CASES) {
  test(`the RPC line is pino's, byte for byte: ${name}`, () => {
    const { lines, destination } = capture();
    const logger = createLogger({ service: "user", level: "debug", destination, traceIds: false });
    sameLines(logger, lines, "info", fields);
    sameLines(logger, lines, "debug", fields);
  });
}

test("the RPC line is pino's for a child logger with bindings", () => {
  const { lines, destination } = capture();
  const logger = createLogger({ service: "user", destination, traceIds: false }).child({ component: "grpc", shard: 3 });
  for (const [, fields] of CASES) sameLines(logger, lines, "info", fields);
});

test("the RPC line is pino's with trace ids, inside a span and outside one", () => {
  const { lines, destination } = capture();
  const logger = createLogger({ service: "user", destination });
  sameLines(logger, lines, "info", plain);
  trace.getTracer("rpc-line-test").startActiveSpan("call", (span) => {
    try {
      write(logger, lines);
    } finally {
      span.end();
    }
  });
  function write(l: Logger, out: string[]): void {
    const ours = rpcLineWriter(l);
    ours("info", plain);
    const parsed = JSON.parse(out[0] as string) as Record<string, unknown>;
    assert.match(String(parsed.trace_id), /^[0-9a-f]{32}$/);
    assert.match(String(parsed.span_id), /^[0-9a-f]{16}$/);
    out.length = 0;
    sameLines(l, out, "info", { ...plain, requestId: "r1" });
  }
});

test("a logger the serializer does not reproduce logs the RPC line through pino", () => {
  const configured: Array<[string, (destination: pino.DestinationStream) => Logger]> = [
    ["a message prefix", (d) => createLogger({ service: "user", destination: d, traceIds: false }).child({}, { msgPrefix: "[grpc] " })],
    ["a log formatter", (d) => pino({ formatters: { log: (o) => ({ ...o, extra: true }) } }, d)],
    ["redaction", (d) => pino({ redact: ["peer"] }, d)],
    ["a serializer of one of its keys", (d) => pino({ serializers: { code: (c: string) => c.toLowerCase() } }, d)],
    ["a mixin of its own", (d) => pino({ mixin: () => ({ zone: "a" }) }, d)],
  ];
  for (const [name, make] of configured) {
    const { lines, destination } = capture();
    const logger = make(destination);
    rpcLineWriter(logger)("info", { ...plain, requestId: "r1" });
    pinoLine(logger, "info", { ...plain, requestId: "r1" });
    assert.equal(lines.length, 2, name);
    const [ours, theirs] = lines.map((l) => l.replace(/,"time":[^,]*/, "")) as [string, string];
    assert.equal(ours, theirs, name);
  }
});

test("the RPC line is pino's for a logger with pino's defaults (numeric level, pid, hostname)", () => {
  const { lines, destination } = capture();
  const logger = pino({}, destination);
  rpcLineWriter(logger)("info", { ...plain, requestId: "r1" });
  pinoLine(logger, "info", { ...plain, requestId: "r1" });
  const [ours, theirs] = lines.map((l) => l.replace(/,"time":\d+/, "")) as [string, string];
  assert.match(ours, /^\{"level":30,"pid":\d+,"hostname":/);
  assert.equal(ours, theirs);
});

/** How many lines pino itself serializes for `logger` while `run` runs. */
function linesPinoSerializes(logger: Logger, run: () => void): number {
  const l = logger as unknown as Record<symbol, (...args: unknown[]) => string>;
  const asJson = l[pino.symbols.asJsonSym] as (...args: unknown[]) => string;
  const own = Object.hasOwn(l, pino.symbols.asJsonSym);
  let count = 0;
  l[pino.symbols.asJsonSym] = function (this: unknown, ...args: unknown[]) {
    count++;
    return asJson.apply(this, args);
  };
  try {
    run();
  } finally {
    if (own) l[pino.symbols.asJsonSym] = asJson;
    else delete l[pino.symbols.asJsonSym];
  }
  return count;
}

test("createLogger's loggers get our serializer; the others pino's", () => {
  const { destination } = capture();
  const ours = [
    createLogger({ service: "user", destination }),
    createLogger({ service: "user", destination, traceIds: false }),
    createLogger({ service: "user", destination, traceIds: false }).child({ component: "grpc" }),
  ];
  for (const logger of ours) assert.equal(linesPinoSerializes(logger, () => rpcLineWriter(logger)("info", plain)), 0);
  const theirs = createLogger({ service: "user", destination, traceIds: false }).child({}, { msgPrefix: "[grpc] " });
  assert.equal(linesPinoSerializes(theirs, () => rpcLineWriter(theirs)("info", plain)), 1);
});
