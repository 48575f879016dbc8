// What the server interceptors cost per call by themselves, in one process
// without a network: a request shaped as the fast path makes it (its headers
// read from Node's object, its context values), passed through each stack to
// a handler that answers at once, 100 calls at a time. Prints the CPU per call
// of each stack, and its difference from the bare handler, for the last of
// the rounds. The servers' own figures (bench/rounds.ts, the layers suite)
// carry the network, HTTP/2 and the garbage collector's share of a busy
// process, which this leaves out; it sees differences of 0.1 us that those
// cannot.
//
//   sh scripts/node.sh bench/interceptors.ts [--calls 300000] [--rounds 5]
import { parseArgs } from "node:util";
import type { Interceptor, UnaryRequest, UnaryResponse } from "@connectrpc/connect";
import { UserService } from "../gen/mesh/user/v1/user_pb.js";
import { CallValues } from "../services/platform/context-values.js";
import { webHeaders } from "../services/platform/fast/exchange.js";
import { connectionKey, createServerInterceptor, peerKey } from "../services/platform/interceptors.js";
import { createLogger, logDestination } from "../services/platform/logger.js";
import { createObservability } from "../services/platform/observability.js";
import { fmt } from "./lib/stats.js";

const { values: args } = parseArgs({ options: { calls: { type: "string", default: "300000" }, rounds: { type: "string", default: "5" } } });
const calls = Number(args.calls);
const rounds = Number(args.rounds);

// As the benchmark's servers log: every line formatted, and written to /dev/null.
const logger = createLogger({ service: "bench", destination: logDestination("/dev/null"), traceIds: false });
const quietLogger = createLogger({ service: "bench", level: "warn", destination: logDestination("/dev/null"), traceIds: false });
const observer = createObservability({ tracing: false }).serverInterceptor;
const stacks: Array<[string, Interceptor[]]> = [
  ["handler alone", []],
  ["logging, level warn (line built, not written)", [createServerInterceptor(quietLogger)]],
  ["logging", [createServerInterceptor(logger)]],
  ["metrics", [observer]],
  ["metrics, then logging (as served)", [observer, createServerInterceptor(logger)]],
];

const method = UserService.method.getUser;
const response = { stream: false, service: UserService, method, header: new Headers(), trailer: new Headers(), message: {} } as unknown as UnaryResponse;
const handler = async (_req: UnaryRequest): Promise<UnaryResponse> => response;
// The headers h2load sends.
const raw = { ":method": "POST", ":path": "/mesh.user.v1.UserService/GetUser", ":scheme": "http", ":authority": "127.0.0.1", "content-type": "application/grpc", te: "trailers", "grpc-timeout": "10S", "user-agent": "h2load nghttp2/1.52.0" };

const signal = new AbortController().signal;

function request(): UnaryRequest {
  return {
    stream: false,
    service: UserService,
    method,
    requestMethod: "POST",
    url: "http://127.0.0.1/mesh.user.v1.UserService/GetUser",
    signal,
    header: webHeaders(raw),
    contextValues: new CallValues().set(peerKey, "127.0.0.1").set(connectionKey, "127.0.0.1:40000"),
    message: {},
  } as unknown as UnaryRequest;
}

let bare = 0;
for (const [name, interceptors] of stacks) {
  let call = handler as (req: UnaryRequest) => Promise<UnaryResponse>;
  for (let i = interceptors.length - 1; i >= 0; i--) call = interceptors[i]!(call as never) as never;
  let perCall = 0;
  for (let round = 0; round < rounds; round++) {
    const before = process.cpuUsage();
    for (let n = 0; n < calls; n += 100) {
      const batch: Array<Promise<UnaryResponse>> = [];
      for (let j = 0; j < 100; j++) batch.push(call(request()));
      await Promise.all(batch);
    }
    const used = process.cpuUsage(before);
    perCall = (used.user + used.system) / calls;
  }
  if (interceptors.length === 0) bare = perCall;
  console.log(`${name.padEnd(48)} ${fmt(perCall * 1000).padStart(6)} ns per call${interceptors.length === 0 ? "" : `  (+${fmt((perCall - bare) * 1000)} ns)`}`);
}
