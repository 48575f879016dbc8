// connectrpc.conformance.v1.ConformanceService as the Connect conformance
// suite's reference client expects a server to implement it: every call
// echoes what the server saw (headers, timeout, requests) and answers as the
// request's response definition says (data, headers, trailers, delay, error).
import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { anyPack, type Any } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import {
  BidiStreamRequestSchema,
  ClientStreamRequestSchema,
  ConformancePayload_RequestInfoSchema,
  ConformancePayloadSchema,
  type ConformancePayload_RequestInfo,
  ConformanceService,
  type Error as ConformanceError,
  type Header,
  IdempotentUnaryRequestSchema,
  ServerStreamRequestSchema,
  type StreamResponseDefinition,
  type UnaryResponseDefinition,
  UnaryRequestSchema,
} from "../../gen/connectrpc/conformance/v1/service_pb.js";

/** Request types that travel packed in google.protobuf.Any (a JSON codec needs them in its registry). */
export const CONFORMANCE_REQUEST_TYPES = [
  UnaryRequestSchema,
  IdempotentUnaryRequestSchema,
  ServerStreamRequestSchema,
  ClientStreamRequestSchema,
  BidiStreamRequestSchema,
  ConformancePayload_RequestInfoSchema,
] as const;

export function createConformanceService(): Partial<ServiceImpl<typeof ConformanceService>> {
  return {
    unary: (req, ctx) => answerUnary(req.responseDefinition, [pack(UnaryRequestSchema, req)], ctx),
    idempotentUnary: (req, ctx) => answerUnary(req.responseDefinition, [pack(IdempotentUnaryRequestSchema, req)], ctx, true),
    async clientStream(requests, ctx) {
      let definition: UnaryResponseDefinition | undefined;
      const received: Any[] = [];
      for await (const req of requests) {
        if (received.length === 0) definition = req.responseDefinition;
        received.push(pack(ClientStreamRequestSchema, req));
      }
      return answerUnary(definition, received, ctx);
    },
    async *serverStream(req, ctx) {
      const definition = req.responseDefinition;
      setMetadata(ctx, definition);
      const info = requestInfo(ctx, [pack(ServerStreamRequestSchema, req)]);
      yield* answerStream(definition, info, ctx);
    },
    async *bidiStream(requests, ctx) {
      let definition: StreamResponseDefinition | undefined;
      let fullDuplex = false;
      let sent = 0;
      let received: Any[] = [];
      let first = true;
      for await (const req of requests) {
        if (first) {
          first = false;
          definition = req.responseDefinition;
          fullDuplex = req.fullDuplex;
          setMetadata(ctx, definition);
        }
        received.push(pack(BidiStreamRequestSchema, req));
        if (!fullDuplex) continue;
        // Full duplex: one response per request, each echoing the requests since the last one.
        if (definition === undefined || sent >= definition.responseData.length) break;
        await delay(definition.responseDelayMs, ctx.signal);
        yield { payload: create(ConformancePayloadSchema, { requestInfo: requestInfo(ctx, received), data: definition.responseData[sent] }) };
        sent++;
        received = [];
      }
      // Half duplex (or responses left over): the rest now.
      const info = requestInfo(ctx, received);
      const data = definition?.responseData ?? [];
      for (; sent < data.length; sent++) {
        await delay(definition?.responseDelayMs ?? 0, ctx.signal);
        yield { payload: create(ConformancePayloadSchema, { requestInfo: sent === 0 ? info : undefined, data: data[sent] }) };
      }
      if (definition?.error !== undefined) throw toConnectError(definition.error, data.length === 0 ? info : undefined);
    },
  };
}

async function answerUnary(definition: UnaryResponseDefinition | undefined, requests: Any[], ctx: HandlerContext, get = false) {
  setMetadata(ctx, definition);
  const info = requestInfo(ctx, requests, get);
  if (definition?.response.case === "error") throw toConnectError(definition.response.value, info);
  await delay(definition?.responseDelayMs ?? 0, ctx.signal);
  return { payload: create(ConformancePayloadSchema, { requestInfo: info, data: definition?.response.value }) };
}

async function* answerStream(definition: StreamResponseDefinition | undefined, info: ConformancePayload_RequestInfo, ctx: HandlerContext) {
  const data = definition?.responseData ?? [];
  for (let i = 0; i < data.length; i++) {
    await delay(definition?.responseDelayMs ?? 0, ctx.signal);
    // The request info goes with the first response only.
    yield { payload: create(ConformancePayloadSchema, { requestInfo: i === 0 ? info : undefined, data: data[i] }) };
  }
  if (definition?.error !== undefined) throw toConnectError(definition.error, data.length === 0 ? info : undefined);
}

function requestInfo(ctx: HandlerContext, requests: Any[], get = false): ConformancePayload_RequestInfo {
  const timeoutMs = ctx.timeoutMs();
  const query = get ? [...new URL(ctx.url).searchParams].map(([name, value]) => ({ name, value: [value] })) : undefined;
  return create(ConformancePayload_RequestInfoSchema, {
    requestHeaders: toProtoHeaders(ctx.requestHeader),
    timeoutMs: timeoutMs === undefined ? undefined : BigInt(timeoutMs),
    requests,
    connectGetInfo: query === undefined ? undefined : { queryParams: query },
  });
}

function setMetadata(ctx: HandlerContext, definition: { responseHeaders: Header[]; responseTrailers: Header[] } | undefined): void {
  for (const h of definition?.responseHeaders ?? []) for (const v of h.value) ctx.responseHeader.append(h.name, v);
  for (const h of definition?.responseTrailers ?? []) for (const v of h.value) ctx.responseTrailer.append(h.name, v);
}

function toProtoHeaders(headers: Headers): Header[] {
  const out: Header[] = [];
  headers.forEach((value, name) => out.push({ $typeName: "connectrpc.conformance.v1.Header", name, value: [value] }));
  return out;
}

/** The error a response definition asks for; the request info goes in its details when no payload carries it. */
function toConnectError(err: ConformanceError, info: ConformancePayload_RequestInfo | undefined): ConnectError {
  const details = err.details.map((d) => ({ type: d.typeUrl.slice(d.typeUrl.lastIndexOf("/") + 1), value: d.value }));
  if (info !== undefined) details.push({ type: ConformancePayload_RequestInfoSchema.typeName, value: pack(ConformancePayload_RequestInfoSchema, info).value });
  // Raw Any details (type name and bytes) as Connect carries details it did not decode.
  const error = new ConnectError(err.message ?? "", err.code as number as Code);
  error.details.push(...details);
  return error;
}

function pack<D extends DescMessage>(schema: D, message: MessageShape<D>): Any {
  return anyPack(schema, message);
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(ConnectError.from(signal.reason));
    const onAbort = () => {
      clearTimeout(timer);
      reject(ConnectError.from(signal.reason));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
