// 10,000 malformed requests across every method of every service (and health
// and reflection), sent with raw node:http2 and node:http clients so the bytes
// are exactly the test's: every one must get a proper gRPC or Connect error
// (or an HTTP 4xx where no RPC could be named), never INTERNAL, and the mesh
// must still serve, correctly, afterwards.
import assert from "node:assert/strict";
import * as http from "node:http";
import * as http2 from "node:http2";
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, test } from "node:test";
import type { DescService } from "@bufbuild/protobuf";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import * as reflectionV1 from "../../gen/grpc/reflection/v1/reflection_pb.js";
import * as reflectionV1alpha from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { BeerService } from "../../gen/mesh/beer/v1/beer_pb.js";
import { DepartmentService } from "../../gen/mesh/department/v1/department_pb.js";
import { PointService } from "../../gen/mesh/point/v1/point_pb.js";
import { UserService } from "../../gen/mesh/user/v1/user_pb.js";
import { createLogger } from "../platform/logger.js";
import type { ServiceHost } from "../platform/service-host.js";
import { startTestMesh, type TestMesh } from "../testing/mesh.js";
import { answerCode, h1Request, h2Request, type RawResponse } from "../testing/raw-rpc.js";
import { createRandom, malformedRequest, type MalformedRequest } from "./malformed-requests.js";
import { healthOfAll, readReference } from "./reference-reads.js";

const TOTAL = 10_000;
const CONCURRENCY = 32;
const READ_MAX_BYTES = 64 * 1024;
const SEED = 20_240_508;
/** Codes a malformed request may get. INTERNAL, UNKNOWN and DATA_LOSS would mean the server lost its footing. */
const ACCEPTED = new Set([
  "OK",
  "CANCELLED",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "UNAUTHENTICATED",
  "PERMISSION_DENIED",
]);

interface Target {
  readonly name: string;
  readonly host: ServiceHost<unknown>;
  readonly service: DescService;
}

const logLines: Array<{ level: string; msg: string; rpc?: string; err?: unknown }> = [];
const logger = createLogger({
  service: "malformed",
  level: "warn",
  destination: new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString("utf8").split("\n")) if (line !== "") logLines.push(JSON.parse(line));
      callback();
    },
  }),
});

let mesh: TestMesh;

before(async () => {
  mesh = await startTestMesh({ READ_MAX_BYTES: String(READ_MAX_BYTES) }, logger);
});

after(() => mesh.stop());

test("10,000 malformed requests: no crash, no INTERNAL, the mesh still serving and still correct", async () => {
  const own: Record<string, DescService> = { user: UserService, point: PointService, department: DepartmentService, beer: BeerService };
  const targets: Target[] = mesh.hosts.flatMap(({ name, host }) =>
    [own[name]!, Health, reflectionV1.ServerReflection, reflectionV1alpha.ServerReflection].map((service) => ({ name, host, service })),
  );
  const methods = targets.flatMap((t) => t.service.methods.map((method) => ({ ...t, method })));
  const before = await readReference(mesh);
  const healthBefore = await healthOfAll(mesh);

  const sessions = new Map<number, http2.ClientHttp2Session>();
  let sessionsLost = 0;
  const session = (port: number) => {
    const current = sessions.get(port);
    if (current !== undefined && !current.closed && !current.destroyed) return current;
    if (current !== undefined) sessionsLost++;
    const fresh = http2.connect(`http://127.0.0.1:${port}`);
    fresh.on("error", () => {});
    sessions.set(port, fresh);
    return fresh;
  };
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

  const random = createRandom(SEED);
  const counts = new Map<string, number>();
  const byVariant = new Map<string, Map<string, number>>();
  const bad: Array<{ rpc: string; variant: string; http: string; code: string; body: string }> = [];
  const send = async (i: number) => {
    const target = methods[i % methods.length]!;
    const req: MalformedRequest = malformedRequest(target.method, Math.floor(i / methods.length), random, { readMaxBytes: READ_MAX_BYTES });
    const raw = { path: req.path, method: req.method ?? "POST", headers: req.headers, body: req.body, timeoutMs: 10_000 };
    const res: RawResponse =
      req.http === "h2" ? await h2Request(session(target.host.port), raw) : await h1Request(agent, target.host.httpPort!, raw);
    const code = answerCode(req.protocol, res);
    counts.set(code, (counts.get(code) ?? 0) + 1);
    const variant = byVariant.get(req.variant) ?? new Map<string, number>();
    variant.set(code, (variant.get(code) ?? 0) + 1);
    byVariant.set(req.variant, variant);
    // Bidirectional streams need HTTP/2: 505 HTTP Version Not Supported is the right answer over HTTP/1.1.
    const bidiOverHttp1 = target.method.methodKind === "bidi_streaming" && req.http === "h1" && code === "HTTP 505";
    const acceptable = ACCEPTED.has(code) || /^HTTP 4\d\d$/.test(code) || bidiOverHttp1;
    if (!acceptable) bad.push({ rpc: `${target.name} ${req.path.split("?")[0]}`, variant: req.variant, http: req.http, code, body: res.body.subarray(0, 200).toString("latin1") });
  };

  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < TOTAL) await send(next++);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const s of sessions.values()) s.close();
  agent.destroy();

  const sent = [...counts.values()].reduce((a, b) => a + b, 0);
  const perCode = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([code, n]) => `${code} ${n}`).join(", ");
  console.log(`# malformed: ${sent} requests to ${methods.length} methods of ${mesh.hosts.length} services (with health and reflection) in ${seconds.toFixed(1)} s, ${byVariant.size} kinds of damage`);
  console.log(`# malformed: answers per code: ${perCode}`);
  console.log(`# malformed: HTTP/2 connections the server closed: ${sessionsLost}`);
  for (const [variant, codes] of [...byVariant.entries()].sort()) {
    console.log(`#   ${variant}: ${[...codes.entries()].map(([c, n]) => `${c} ${n}`).join(", ")}`);
  }

  assert.equal(sent, TOTAL);
  assert.deepEqual(bad.slice(0, 10), [], `${bad.length} answers were not proper errors`);
  assert.equal(counts.get("INTERNAL") ?? 0, 0);
  assert.deepEqual(
    logLines.filter((l) => l.level === "error" || l.level === "fatal"),
    [],
    "nothing was logged as an internal error",
  );

  // Streams given a deadline are over; every slot of MAX_CONCURRENT_RPCS came back.
  await sleep(600);
  for (const { name, host } of mesh.hosts) assert.equal(host.server.load().inFlight, 0, `${name}: calls still counted in flight`);
  assert.deepEqual(await healthOfAll(mesh), healthBefore);
  assert.ok(Object.values(healthBefore).every((s) => s === "SERVING"));
  assert.deepEqual(await readReference(mesh), before, "the reference data reads the same");
});
