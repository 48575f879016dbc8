// The server under test for the Connect conformance suite: our own server
// stack (services/platform/server.ts, with the logging/error interceptor and
// the metrics interceptor) serving ConformanceService. It reads a size-prefixed
// ServerCompatRequest from stdin, listens on ephemeral ports and writes a
// size-prefixed ServerCompatResponse to stdout.
//
//   connectconformance --mode server --conf bench/conformance/server-config.yaml -- \
//     sh scripts/node.sh bench/conformance/server.ts --path fast
//
// --path standard serves every call with connect-node; --path fast puts the
// fast path (services/platform/fast/) in front of it.
import { parseArgs } from "node:util";
import { create, createRegistry, fromBinary, toBinary } from "@bufbuild/protobuf";
import { connectNodeAdapter, type ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import { pino } from "pino";
import { HTTPVersion } from "../../gen/connectrpc/conformance/v1/config_pb.js";
import { ServerCompatRequestSchema, ServerCompatResponseSchema } from "../../gen/connectrpc/conformance/v1/server_compat_pb.js";
import { ConformanceService } from "../../gen/connectrpc/conformance/v1/service_pb.js";
import { fastNodeAdapter } from "../../services/platform/fast/adapter.js";
import { ServingStatus } from "../../services/platform/health.js";
import { createLogger } from "../../services/platform/logger.js";
import { createObservability } from "../../services/platform/observability.js";
import { createServer } from "../../services/platform/server.js";
import { CONFORMANCE_REQUEST_TYPES, createConformanceService } from "./conformance-service.js";

const { values: args } = parseArgs({ options: { path: { type: "string", default: "fast" } } });
if (args.path !== "fast" && args.path !== "standard") throw new Error(`--path must be fast or standard, not ${args.path}`);

// No top-level await: scripts/bundle.ts bundles this file as CommonJS for the conformance run on the bundle.
main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

async function main(): Promise<void> {
  const request = fromBinary(ServerCompatRequestSchema, await readSizePrefixed(process.stdin));
  if (request.useTls) throw new Error("this server under test does not do TLS (server-config.yaml says so)");

  // JSON needs the types packed in Any; everything else is what createServer gives connect-node.
  const registry = createRegistry(...CONFORMANCE_REQUEST_TYPES);
  const withJson = (options: ConnectNodeAdapterOptions): ConnectNodeAdapterOptions => ({ ...options, jsonOptions: { registry } });
  const adapter = args.path === "fast" ? (o: ConnectNodeAdapterOptions) => fastNodeAdapter(withJson(o)) : (o: ConnectNodeAdapterOptions) => connectNodeAdapter(withJson(o));

  const logger = createLogger({ service: "conformance", level: "error", destination: pino.destination({ dest: 2, sync: true }) });
  const observability = createObservability({ tracing: false, processMetrics: false });
  const limit = request.messageReceiveLimit > 0 ? request.messageReceiveLimit : 16 * 1024 * 1024;
  const server = createServer({
    config: {
      host: "127.0.0.1",
      port: 0,
      httpPort: 0,
      shutdownGraceMs: 1_000,
      maxConnectionAgeMs: 0,
      maxConnectionAgeGraceMs: 0,
      readMaxBytes: limit,
      writeMaxBytes: 16 * 1024 * 1024,
      // Limits of the production defaults that would change what the suite checks: no default
      // deadline (it echoes the timeout the client sent) and no concurrency cap.
      defaultDeadlineMs: 0,
      maxConcurrentRpcs: 0,
    },
    logger,
    observer: observability.serverInterceptor,
    adapter,
  });
  server.register(ConformanceService, createConformanceService());
  const { port, httpPort } = await server.listen();
  server.health.setAll(ServingStatus.SERVING);
  // The runner waits for this process to exit after SIGTERM; a drain that never ends must not hang the suite.
  process.once("SIGTERM", () => {
    setTimeout(() => process.exit(0), 2_000).unref();
    void server.stop().finally(() => process.exit(0));
  });

  const response = toBinary(
    ServerCompatResponseSchema,
    create(ServerCompatResponseSchema, { host: "127.0.0.1", port: request.httpVersion === HTTPVersion.HTTP_VERSION_1 ? httpPort : port }),
  );
  const size = Buffer.alloc(4);
  size.writeUInt32BE(response.length);
  process.stdout.write(Buffer.concat([size, response]));
}

async function readSizePrefixed(input: NodeJS.ReadableStream): Promise<Uint8Array> {
  let buffered = Buffer.alloc(0);
  for await (const chunk of input) {
    buffered = Buffer.concat([buffered, chunk as Buffer]);
    if (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) break;
  }
  if (buffered.length < 4) throw new Error("stdin closed before a ServerCompatRequest arrived");
  return buffered.subarray(4, 4 + buffered.readUInt32BE(0));
}
