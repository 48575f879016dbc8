// The point service run as a process, the way main.ts starts it, with an OTLP
// endpoint set: its spans reach the endpoint over HTTP/protobuf, with the
// PostgreSQL query spans on PostgreSQL (proof that telemetry starts before pg
// loads), and SIGTERM flushes them before the process exits. The same again
// for the bundle the image runs (scripts/bundle.ts): pg stays outside it, so
// the instrumentation still sees it load.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { createClient } from "@connectrpc/connect";
import { PointService } from "../../gen/mesh/point/v1/point_pb.js";
import { bundle, tempBundleDir } from "../../scripts/bundle.js";
import { REFERENCE_USERS } from "../platform/reference-data.js";
import { grpcTransport, usingPostgres } from "../testing/harness.js";
import { parseMetrics, value } from "../testing/metrics-text.js";

test("main.ts with OTEL_EXPORTER_OTLP_ENDPOINT: spans exported on SIGTERM, metrics on the admin port", async () => {
  await runPointMain([...process.execArgv, "services/point/main.ts"], "source");
});

test("dist/point.cjs, the bundle, with OTEL_EXPORTER_OTLP_ENDPOINT: the same spans, pg's among them, and metrics", async () => {
  const dir = tempBundleDir("point-bundle");
  try {
    const [file] = await bundle(dir, ["point"]);
    await runPointMain([file!], "bundle");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function runPointMain(command: string[], label: string): Promise<void> {
  const bodies: Array<{ path: string; type: string; body: Buffer }> = [];
  const sink = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      bodies.push({ path: req.url ?? "", type: req.headers["content-type"] ?? "", body: Buffer.concat(chunks) });
      res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
  const schema = `test_point_main_${label}_${process.pid}`;
  const child = spawn(process.execPath, command, {
    env: {
      PATH: process.env.PATH,
      POINT_HOST: "127.0.0.1",
      POINT_PORT: "0",
      POINT_HTTP_PORT: "-1",
      POINT_DATABASE_SCHEMA: schema,
      DATABASE_URL: process.env.DATABASE_URL ?? "",
      DATA_DIR: ":memory:",
      SEED: "true",
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(sink.address() as AddressInfo).port}`,
      // Keep spans in the batch until shutdown: the export seen below is the one stop() forces.
      OTEL_BSP_SCHEDULE_DELAY: "60000",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  try {
    const ports: { grpc?: number; admin?: number } = {};
    const lines: Array<Record<string, unknown>> = [];
    const serving = new Promise<void>((resolve, reject) => {
      child.once("exit", () => reject(new Error("the service exited before it was ready")));
      createInterface({ input: child.stdout! }).on("line", (text) => {
        const line = JSON.parse(text) as Record<string, unknown>;
        lines.push(line);
        if (line.msg === "listening") ports.grpc = line.port as number;
        if (typeof line.admin_port === "number") ports.admin = line.admin_port;
        if (line.msg === "database reachable: SERVING") resolve();
      });
    });
    await serving;
    const points = createClient(PointService, grpcTransport(ports.grpc!));
    const alice = REFERENCE_USERS[0]!;
    assert.equal((await points.getUserPoints({ userId: alice.id })).points, BigInt(alice.points));

    const metrics = parseMetrics(await (await fetch(`http://127.0.0.1:${ports.admin}/metrics`)).text());
    assert.equal(value(metrics, "grpc_server_handled_total", { grpc_method: "GetUserPoints", grpc_code: "OK" }), 1);
    assert.equal(bodies.length, 0, "nothing exported before the batch is due");

    child.kill("SIGTERM");
    assert.equal(await exited, 0);
    const traces = bodies.filter((b) => b.path === "/v1/traces");
    assert.ok(traces.length >= 1);
    assert.equal(traces[0]!.type, "application/x-protobuf");
    const payload = Buffer.concat(traces.map((b) => b.body)).toString("latin1");
    assert.ok(payload.includes("mesh.point.v1.PointService/GetUserPoints"), "the server span");
    assert.ok(payload.includes("grpc-mesh") && payload.includes("point"), "service.namespace and service.name");
    assert.equal(payload.includes("pg.query"), usingPostgres, "query spans exactly when pg is the driver");
    assert.ok(lines.some((l) => l.msg === "rpc" && typeof l.trace_id === "string" && l.trace_id.length === 32), "the RPC line carries its trace id");
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    sink.close();
    if (usingPostgres) {
      const { openDatabase } = await import("../platform/database.js");
      const { silentLogger, testConfig } = await import("../testing/harness.js");
      const admin = await openDatabase({ ...testConfig("point").database, schema }, silentLogger());
      await admin.dropSchema();
      await admin.close();
    }
  }
}
