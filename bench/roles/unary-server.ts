// A unary GetUser server in one of four implementations, for the side-by-side
// server comparison. Every implementation runs the same handler:
//   echo     answers from memory (no database), GetUser-shaped;
//   getuser  the user service's GetUser handler over its repository (PostgreSQL).
// Implementations:
//   mesh-fast     our server (services/platform/server.ts) with its real interceptors
//                 (log line per call, go-grpc-prometheus metrics; tracing off) and the fast path;
//   mesh-connect  the same server with connect-node serving every call;
//   grpc-js       @grpc/grpc-js with protobuf-es serializers;
//   raw-http2     node:http2 alone: no interceptors, no deadline, no metadata (the upper bound;
//                 its echo answers a prepared frame without decoding, as the FACTS measurement did);
//   lean-http2    raw-http2 whose echo decodes the request and encodes its answer with protobuf-es, as
//                 the "40-line lean unary path" did: what the wire and protobuf cost, nothing else.
// Messages: -> {type:"ready", port}; <- {type:"stats"} -> {type:"stats", calls, errors}; <- {type:"stop"}.
import * as http2 from "node:http2";
import { parseArgs } from "node:util";
import { create, fromBinary, isMessage, toBinary } from "@bufbuild/protobuf";
import { ConnectError, createContextValues, type HandlerContext } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import {
  type GetUserRequest,
  GetUserRequestSchema,
  type GetUserResponse,
  GetUserResponseSchema,
  UserService,
} from "../../gen/mesh/user/v1/user_pb.js";
import { EnvReader } from "../../services/platform/config.js";
import { openDatabase } from "../../services/platform/database.js";
import { fastNodeAdapter } from "../../services/platform/fast/adapter.js";
import { ServingStatus } from "../../services/platform/health.js";
import { createLogger, logDestination } from "../../services/platform/logger.js";
import { createObservability } from "../../services/platform/observability.js";
import { createServer } from "../../services/platform/server.js";
import { tuneV8 } from "../../services/platform/v8-tuning.js";
import type { UserDatabase } from "../../services/user/schema.js";
import { createUserService } from "../../services/user/service.js";
import { sampleAllocations } from "../lib/allocations.js";
import { onMessage, reply } from "../lib/children.js";
import { benchServerConfig, databaseConfig, ECHO_USER } from "../lib/fixtures.js";

export type ServerImpl = "mesh-fast" | "mesh-connect" | "grpc-js" | "raw-http2" | "lean-http2";
export type HandlerKind = "echo" | "getuser";

const { values: args } = parseArgs({
  options: { impl: { type: "string" }, handler: { type: "string", default: "echo" }, "database-url": { type: "string" } },
});
const impl = args.impl as ServerImpl;
const kind = args.handler as HandlerKind;
// Our server with the V8 setting every service starts with (services/platform/run-service.ts), which
// V8_PRETENURING=true leaves at V8's default there as here; the others as shipped.
if (impl === "mesh-fast" || impl === "mesh-connect") tuneV8({ pretenuring: new EnvReader(process.env).bool("V8_PRETENURING", false) });

type GetUser = (req: GetUserRequest, ctx: HandlerContext) => Promise<unknown> | unknown;
let closeDatabase = async () => {};
let getUser: GetUser = (req) => ({ user: { ...ECHO_USER, id: req.id } });
if (kind === "getuser") {
  const logger = createLogger({ service: "bench", level: "warn" });
  const database = await openDatabase<UserDatabase>(databaseConfig(args["database-url"], "bench_user"), logger);
  const service = createUserService({ db: database.db, logger, upstreamTimeoutMs: 1_000, points: undefined as never, departments: undefined as never });
  getUser = (req, ctx) => service.getUser(req, ctx);
  closeDatabase = () => database.close();
}

let calls = 0;
let errors = 0;
const { port, stop, countErrors } = await start();
const stopSampling = await sampleAllocations();
reply({ type: "ready", port });
onMessage(async (m) => {
  if (m.type === "stats") reply({ type: "stats", calls, errors: errors + (await countErrors()) });
  if (m.type === "stop") {
    await stopSampling();
    await stop();
    await closeDatabase();
    process.disconnect();
  }
});

async function start(): Promise<{ port: number; stop: () => Promise<void>; countErrors: () => Promise<number> }> {
  if (impl === "mesh-fast" || impl === "mesh-connect") return startMesh(impl === "mesh-fast");
  if (impl === "grpc-js") return startGrpcJs();
  return startRaw(impl === "raw-http2" && kind === "echo");
}

async function startMesh(fast: boolean) {
  // A log line per call, as in production, to /dev/null: its formatting is paid, not a terminal's.
  const logger = createLogger({ service: "bench", destination: logDestination("/dev/null"), traceIds: false });
  const observability = createObservability({ tracing: false });
  const server = createServer({
    config: benchServerConfig(),
    logger,
    observer: observability.serverInterceptor,
    adapter: fast ? fastNodeAdapter : connectNodeAdapter,
  });
  server.register(UserService, { getUser: getUser as never });
  const { port } = await server.listen();
  server.health.setAll(ServingStatus.SERVING);
  return {
    port,
    stop: () => server.stop(),
    async countErrors() {
      const handled = observability.registry.getSingleMetric("grpc_server_handled_total");
      const values = (await handled?.get())?.values ?? [];
      calls = values.reduce((n, v) => n + v.value, 0);
      return values.filter((v) => v.labels.grpc_code !== "OK").reduce((n, v) => n + v.value, 0);
    },
  };
}

async function startGrpcJs() {
  const grpc = await import("@grpc/grpc-js");
  const server = new grpc.Server();
  const ctx = handlerContextStub();
  server.addService(
    {
      getUser: {
        path: `/${UserService.typeName}/GetUser`,
        requestStream: false,
        responseStream: false,
        requestSerialize: (m: GetUserRequest) => Buffer.from(toBinary(GetUserRequestSchema, m)),
        requestDeserialize: (b: Buffer) => fromBinary(GetUserRequestSchema, b),
        responseSerialize: (m: unknown) => Buffer.from(toBinary(GetUserResponseSchema, normalize(m))),
        responseDeserialize: (b: Buffer) => fromBinary(GetUserResponseSchema, b),
      },
    },
    {
      getUser(call: { request: GetUserRequest }, callback: (err: object | null, res?: unknown) => void) {
        calls++;
        Promise.resolve()
          .then(() => getUser(call.request, ctx))
          .then(
            (res) => callback(null, res),
            (err: unknown) => {
              errors++;
              const e = ConnectError.from(err);
              callback({ code: e.code, details: e.rawMessage });
            },
          );
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
    countErrors: async () => 0,
  };
}

/** node:http2 alone; with `answerPrepared`, the echo's answer is one frame encoded at start and nothing is decoded. */
async function startRaw(answerPrepared: boolean) {
  const server = http2.createServer();
  const ctx = handlerContextStub();
  const prepared = frame(toBinary(GetUserResponseSchema, create(GetUserResponseSchema, { user: { ...ECHO_USER, id: "01900000-0000-7000-8000-000000000007" } })));
  server.on("stream", (stream) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      calls++;
      const answer = (body: Buffer, status: string) => {
        if (stream.destroyed) return;
        stream.respond({ ":status": 200, "content-type": "application/grpc+proto" }, { waitForTrailers: true });
        stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": status }));
        stream.end(body);
      };
      if (answerPrepared) return answer(prepared, "0");
      const body = Buffer.concat(chunks);
      const req = fromBinary(GetUserRequestSchema, body.subarray(5));
      Promise.resolve(getUser(req, ctx)).then(
        (res) => answer(frame(toBinary(GetUserResponseSchema, normalize(res))), "0"),
        (err: unknown) => {
          errors++;
          answer(Buffer.alloc(0), String(ConnectError.from(err).code));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return { port, stop: () => new Promise<void>((resolve) => server.close(() => resolve())), countErrors: async () => 0 };
}

function normalize(m: unknown): GetUserResponse {
  return isMessage(m, GetUserResponseSchema) ? m : create(GetUserResponseSchema, m as never);
}

function frame(message: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(5 + message.length);
  b[0] = 0;
  b.writeUInt32BE(message.length, 1);
  b.set(message, 5);
  return b;
}

/** GetUser reads nothing of its context; the other servers pass this. */
function handlerContextStub(): HandlerContext {
  return {
    method: UserService.method.getUser,
    service: UserService,
    signal: new AbortController().signal,
    timeoutMs: () => undefined,
    requestMethod: "POST",
    requestHeader: new Headers(),
    responseHeader: new Headers(),
    responseTrailer: new Headers(),
    protocolName: "grpc",
    values: createContextValues(),
    url: "",
  };
}
