// The client under test for the Connect conformance suite: our channel
// (services/platform/channel/) with its lean unary gRPC client, calling the
// suite's reference server through a generated client. It reads size-prefixed
// ClientCompatRequests from stdin until EOF and writes a size-prefixed
// ClientCompatResponse for each.
//
//   connectconformance --mode client --conf bench/conformance/client-config.yaml -- \
//     sh scripts/node.sh bench/conformance/client.ts
//
// --path connect runs the same channel with connect-node's transport instead.
import { parseArgs } from "node:util";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { anyPack, anyUnpack, AnySchema } from "@bufbuild/protobuf/wkt";
import { ConnectError, createClient, type CallOptions } from "@connectrpc/connect";
import {
  type ClientCompatRequest,
  ClientCompatRequestSchema,
  ClientCompatResponseSchema,
  type ClientResponseResult,
  ClientResponseResultSchema,
} from "../../gen/connectrpc/conformance/v1/client_compat_pb.js";
import {
  ConformancePayloadSchema,
  ConformanceService,
  ErrorSchema,
  type Header,
  UnaryRequestSchema,
  UnimplementedRequestSchema,
} from "../../gen/connectrpc/conformance/v1/service_pb.js";
import { Channel } from "../../services/platform/channel/channel.js";
import { resolverFor } from "../../services/platform/channel/resolver.js";

const { values: args } = parseArgs({ options: { path: { type: "string", default: "lean" } } });
const lean = args.path !== "connect";

const channels = new Map<string, Channel>();
const writes: Promise<void>[] = [];
let pending = Promise.resolve();

for await (const bytes of sizePrefixed(process.stdin)) {
  const request = fromBinary(ClientCompatRequestSchema, bytes);
  writes.push(
    invoke(request).then((response) => {
      // One message at a time on stdout.
      pending = pending.then(() => write(toBinary(ClientCompatResponseSchema, response)));
      return pending;
    }),
  );
}
await Promise.all(writes);
for (const channel of channels.values()) channel.close();

async function invoke(req: ClientCompatRequest) {
  try {
    const result = await call(req);
    return create(ClientCompatResponseSchema, { testName: req.testName, result: { case: "response", value: result } });
  } catch (err) {
    return create(ClientCompatResponseSchema, { testName: req.testName, result: { case: "error", value: { message: String(err) } } });
  }
}

function channelFor(req: ClientCompatRequest): Channel {
  const key = `${req.host}:${req.port}/${req.messageReceiveLimit}`;
  let channel = channels.get(key);
  if (channel === undefined) {
    channel = new Channel({
      name: `${req.host}:${req.port}`,
      resolver: resolverFor(`${req.host}:${req.port}`),
      sessionsPerEndpoint: 1,
      // As a plain client: one attempt (only calls that never left are retried, transparently).
      retry: { maxAttempts: 1 },
      leanUnary: lean,
      ...(req.messageReceiveLimit > 0 ? { readMaxBytes: req.messageReceiveLimit } : {}),
    });
    channels.set(key, channel);
  }
  return channel;
}

async function call(req: ClientCompatRequest): Promise<ClientResponseResult> {
  const client = createClient(ConformanceService, channelFor(req));
  const result = create(ClientResponseResultSchema);
  await sleep(req.requestDelayMs);
  const controller = new AbortController();
  const cancel = req.cancel?.cancelTiming;
  if (cancel?.case === "afterCloseSendMs") void sleep(cancel.value).then(() => controller.abort());
  if (cancel?.case === "beforeCloseSend") controller.abort();
  const options: CallOptions = {
    headers: requestHeaders(req.requestHeaders),
    signal: controller.signal,
    ...(req.timeoutMs === undefined ? {} : { timeoutMs: req.timeoutMs }),
    onHeader: (h) => (result.responseHeaders = protoHeaders(h)),
    onTrailer: (t) => (result.responseTrailers = protoHeaders(t)),
  };
  const message = req.requestMessages[0];
  if (message === undefined) throw new Error("no request message");
  try {
    if (req.method === ConformanceService.method.unary.name) {
      const unpacked = anyUnpack(message, UnaryRequestSchema);
      if (unpacked === undefined) throw new Error(`cannot unpack ${message.typeUrl}`);
      const res = await client.unary(unpacked, options);
      result.payloads.push(res.payload ?? create(ConformancePayloadSchema));
    } else if (req.method === ConformanceService.method.unimplemented.name) {
      const unpacked = anyUnpack(message, UnimplementedRequestSchema);
      if (unpacked === undefined) throw new Error(`cannot unpack ${message.typeUrl}`);
      await client.unimplemented(unpacked, options);
    } else {
      throw new Error(`method ${req.method ?? "?"} is not supported by this client (unary only)`);
    }
  } catch (err) {
    const e = ConnectError.from(err);
    result.error = create(ErrorSchema, {
      code: e.code as number,
      message: e.rawMessage,
      details: e.details.map((d) =>
        "desc" in d ? anyPack(d.desc, create(d.desc, d.value)) : create(AnySchema, { typeUrl: `type.googleapis.com/${d.type}`, value: d.value }),
      ),
    });
    // Connect puts headers and trailers of a failed call in its metadata: report them as both.
    if (result.responseHeaders.length === 0) result.responseHeaders = protoHeaders(e.metadata);
    result.responseTrailers = protoHeaders(e.metadata);
  }
  return result;
}

function requestHeaders(headers: Header[]): Headers {
  const out = new Headers();
  for (const h of headers) for (const v of h.value) out.append(h.name, v);
  return out;
}

function protoHeaders(headers: Headers): Header[] {
  const out: Header[] = [];
  headers.forEach((value, name) => out.push({ $typeName: "connectrpc.conformance.v1.Header", name, value: [value] }));
  return out;
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

async function* sizePrefixed(input: NodeJS.ReadableStream): AsyncGenerator<Uint8Array> {
  let buffered = Buffer.alloc(0);
  for await (const chunk of input) {
    buffered = Buffer.concat([buffered, chunk as Buffer]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
      const size = buffered.readUInt32BE(0);
      yield buffered.subarray(4, 4 + size);
      buffered = buffered.subarray(4 + size);
    }
  }
}

function write(bytes: Uint8Array): Promise<void> {
  const size = Buffer.alloc(4);
  size.writeUInt32BE(bytes.length);
  return new Promise((resolve, reject) => process.stdout.write(Buffer.concat([size, bytes]), (err) => (err ? reject(err) : resolve())));
}
