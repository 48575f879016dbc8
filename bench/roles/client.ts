// A unary GetUser client in one of several implementations, making N calls
// with C in flight, measuring its own CPU per call (process CPU / calls) and
// each call's latency:
//   channel-lean     our channel (services/platform/channel/) with the lean unary client,
//                    and the grpc_client_* metrics interceptor, as services call upstreams;
//   channel-connect  the same channel on connect-node's gRPC transport;
//   connect          connect-node's gRPC transport alone (one Http2SessionManager);
//   grpc-js          @grpc/grpc-js with protobuf-es serializers;
//   raw-http2        node:http2 and protobuf-es, nothing else (no deadline, metadata or errors);
//   per-call         a new HTTP/2 connection for every call (the lean client on a fresh session).
// Messages: -> {type:"warm"}; <- {type:"go"}; -> {type:"result", ...}.
import * as http2 from "node:http2";
import { parseArgs } from "node:util";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { createClient, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { GetUserRequestSchema, type GetUserResponse, GetUserResponseSchema, UserService } from "../../gen/mesh/user/v1/user_pb.js";
import { Channel } from "../../services/platform/channel/channel.js";
import { resolverFor } from "../../services/platform/channel/resolver.js";
import { ChannelSession } from "../../services/platform/channel/session.js";
import { createLaneTransport } from "../../services/platform/fast/unary-client.js";
import { interceptTransport } from "../../services/platform/intercept-transport.js";
import { createObservability } from "../../services/platform/observability.js";
import { sampleAllocations } from "../lib/allocations.js";
import { onMessage, reply } from "../lib/children.js";
import { GEORGE_ID } from "../lib/fixtures.js";
import { percentile } from "../lib/stats.js";

export type ClientKind = "channel-lean" | "channel-connect" | "connect" | "grpc-js" | "raw-http2" | "per-call";

const { values: args } = parseArgs({
  options: {
    client: { type: "string" },
    port: { type: "string" },
    calls: { type: "string", default: "20000" },
    inflight: { type: "string", default: "32" },
    sessions: { type: "string", default: "2" },
  },
});
const kind = args.client as ClientKind;
const address = `127.0.0.1:${args.port}`;
const calls = Number(args.calls);
const inFlight = Number(args.inflight);

type Call = () => Promise<GetUserResponse>;
// The channel's connections are unref'd (a service's server keeps its process alive); this one has no server.
const alive = setInterval(() => undefined, 60_000);
const { call, close } = await makeClient();

const run = async (count: number, latencies?: Float64Array): Promise<number> => {
  let next = 0;
  let errors = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const started = performance.now();
      try {
        await call();
      } catch {
        errors++;
      }
      if (latencies !== undefined) latencies[i] = performance.now() - started;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return errors;
};

await run(Math.min(2_000, Math.max(200, Math.floor(calls / 5))));
const go = new Promise<void>((resolve) => onMessage((m) => (m.type === "go" ? resolve() : undefined)));
reply({ type: "warm" });
await go;
const stopSampling = await sampleAllocations();
const latencies = new Float64Array(calls);
const cpu = process.cpuUsage();
const started = performance.now();
const errors = await run(calls, latencies);
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
await stopSampling();
await close();
clearInterval(alive);
reply({
  type: "result",
  calls,
  seconds,
  errors,
  cpuUsPerCall: (used.user + used.system) / calls,
  p50Ms: percentile(latencies, 50),
  p99Ms: percentile(latencies, 99),
});
process.disconnect();

async function makeClient(): Promise<{ call: Call; close: () => Promise<void> | void }> {
  const request = create(GetUserRequestSchema, { id: GEORGE_ID });
  if (kind === "channel-lean" || kind === "channel-connect") {
    const channel = new Channel({
      name: address,
      resolver: resolverFor(address),
      sessionsPerEndpoint: Number(args.sessions),
      leanUnary: kind === "channel-lean",
    });
    // As createUpstream wires it: the client metrics interceptor once per logical call.
    const observability = createObservability({ tracing: false, processMetrics: false });
    const client = createClient(UserService, interceptTransport(channel, [observability.clientInterceptor], `http://${address}`));
    return { call: () => client.getUser(request), close: () => channel.close() };
  }
  if (kind === "connect") {
    const sessionManager = new Http2SessionManager(`http://${address}`);
    const client = createClient(UserService, createGrpcTransport({ baseUrl: `http://${address}`, sessionManager }));
    return { call: () => client.getUser(request), close: () => sessionManager.abort() };
  }
  if (kind === "per-call") {
    const options = { keepaliveMs: 0, keepaliveTimeoutMs: 1_000, idleTimeoutMs: 0, connectTimeoutMs: 2_000 };
    return {
      async call() {
        const session = new ChannelSession(`http://${address}`, options);
        const transport: Transport = createLaneTransport({ baseUrl: `http://${address}`, session, readMaxBytes: 4 << 20, interceptors: [] });
        try {
          return await createClient(UserService, transport).getUser(request);
        } finally {
          session.close();
        }
      },
      close: () => undefined,
    };
  }
  if (kind === "grpc-js") {
    const grpc = await import("@grpc/grpc-js");
    const client = new grpc.Client(address, grpc.credentials.createInsecure());
    const serialize = (m: typeof request) => Buffer.from(toBinary(GetUserRequestSchema, m));
    const deserialize = (b: Buffer) => fromBinary(GetUserResponseSchema, b);
    return {
      call: () =>
        new Promise((resolve, reject) =>
          client.makeUnaryRequest(`/${UserService.typeName}/GetUser`, serialize, deserialize, request, (err, res) =>
            err || res === undefined ? reject(err ?? new Error("no response")) : resolve(res),
          ),
        ),
      close: () => client.close(),
    };
  }
  // raw-http2
  const session = http2.connect(`http://${address}`);
  const message = toBinary(GetUserRequestSchema, request);
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  const path = `/${UserService.typeName}/GetUser`;
  return {
    call: () =>
      new Promise((resolve, reject) => {
        const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("error", reject);
        stream.on("end", () => {
          const body = Buffer.concat(chunks);
          resolve(fromBinary(GetUserResponseSchema, body.subarray(5)));
        });
        stream.end(frame);
      }),
    close: () => void session.close(),
  };
}
