// A lean gRPC unary client on one ChannelSession: the request enveloped with
// the generated descriptors, one HTTP/2 stream, status and details read from
// the trailers, deadline and cancellation through the stream. It builds no
// AbortController, no async-iterable pipeline and no ConnectError unless the
// call fails; streaming calls go to connect-node's gRPC transport on the same
// session. Errors carry the codes connect-node gives, and a call the server
// never saw (no connection, GOAWAY, REFUSED_STREAM) has a NotSentError in its
// causes, so the channel's retry rules treat both transports alike.
import * as http2 from "node:http2";
import { create, isMessage, type DescMessage, type DescMethodUnary, type Message } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ContextValues,
  type Interceptor,
  type Transport,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { NotSentError, type ChannelSession, type FlatHeaders } from "../channel/session.js";
import { CallValues } from "../context-values.js";
import { methodPath, NEVER_ABORTED, run, type TimedRequest } from "../intercept-transport.js";
import { GRPC_CONTENT_TYPE, sealEnvelope } from "./grpc-unary.js";
import { MessageEncoder } from "./message-encoder.js";
import { connectionLost, finish, tooLarge } from "./unary-response.js";

export interface LaneTransportOptions {
  /** http://host:port of the replica. */
  readonly baseUrl: string;
  readonly session: ChannelSession;
  /** Largest response message accepted, in bytes. */
  readonly readMaxBytes: number;
  /** Client interceptors, run for every call (the channel's per-attempt ones). */
  readonly interceptors: readonly Interceptor[];
}

type UnaryNext = (req: UnaryRequest) => Promise<UnaryResponse>;

const { NGHTTP2_CANCEL } = http2.constants;
const USER_AGENT = "grpc-mesh-lean/1";
/** Where callUnary's own headers' values sit in its flat list. */
const OWN_HEADERS: ReadonlyMap<string, number> = new Map([
  ["content-type", 5],
  ["te", 7],
  ["user-agent", 9],
]);


/** A Transport for one lane of an endpoint: lean unary calls, connect-node for streams. */
export function createLaneTransport(options: LaneTransportOptions): Transport {
  const streaming = createGrpcTransport({
    baseUrl: options.baseUrl,
    sessionManager: options.session,
    readMaxBytes: options.readMaxBytes,
    interceptors: [...options.interceptors],
  });
  // encode() runs to its end and copies out, so one encoder serves every call of the lane.
  const encoder = new MessageEncoder();
  const core: UnaryNext = (req) => callUnary(options, encoder, req);
  let chain = core;
  for (let i = options.interceptors.length - 1; i >= 0; i--) chain = (options.interceptors[i] as Interceptor)(chain as never) as never;
  const urls = new Map<object, string>();
  return {
    unary<I extends DescMessage, O extends DescMessage>(
      method: DescMethodUnary<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: ConstructorParameters<typeof Headers>[0] | undefined,
      input: unknown,
      contextValues?: ContextValues,
    ): Promise<UnaryResponse<I, O>> {
      let url = urls.get(method);
      if (url === undefined) urls.set(method, (url = options.baseUrl + methodPath(method)));
      const req: UnaryRequest & TimedRequest = {
        stream: false,
        service: method.parent,
        method: method as never,
        requestMethod: "POST",
        url,
        signal: signal ?? NEVER_ABORTED,
        header: header instanceof Headers ? header : new Headers(header),
        contextValues: contextValues ?? new CallValues(),
        message: isMessage(input, method.input) ? input : create(method.input, input as never),
        timeoutMs,
      };
      return run(chain, req) as Promise<UnaryResponse<I, O>>;
    },
    stream: (...args) => streaming.stream(...args),
  };
}

function callUnary(options: LaneTransportOptions, encoder: MessageEncoder, req: UnaryRequest & TimedRequest): Promise<UnaryResponse> {
  const signal = req.signal;
  if (signal.aborted) return Promise.reject(ConnectError.from(signal.reason, Code.Canceled));
  const method = req.method as DescMethodUnary;
  const headers: FlatHeaders = [":method", "POST", ":path", methodPath(method), "content-type", GRPC_CONTENT_TYPE, "te", "trailers", "user-agent", USER_AGENT];
  const timeoutMs = req.timeoutMs;
  // Connect's rule: a timeout of 0 or less disables the deadline (the channel refuses those earlier).
  const deadline = timeoutMs !== undefined && timeoutMs > 0 ? `${Math.ceil(timeoutMs)}m` : undefined;
  req.header.forEach((value, key) => {
    // The caller's value replaces ours, as it would in a headers object (a flat list would send both).
    const ours = OWN_HEADERS.get(key);
    if (ours !== undefined) headers[ours] = value;
    else if (key !== "grpc-timeout" || deadline === undefined) headers.push(key, value);
  });
  if (deadline !== undefined) headers.push("grpc-timeout", deadline);
  const body = sealEnvelope(encoder.encode(method.input, req.message as Message, 5));
  return new Promise<UnaryResponse>((resolve, reject) => {
    const call = new LeanCall(req, options.readMaxBytes, resolve, reject);
    if (timeoutMs !== undefined && timeoutMs > 0) {
      // The server enforces grpc-timeout; this timer is the backstop for one that does not answer. A
      // millisecond late, so that when a handler passes on its own remaining time the inbound deadline
      // (ending the handler with DEADLINE_EXCEEDED) fires before the outbound one (a failed branch).
      call.timer = setTimeout(onDeadline, timeoutMs + 1, call);
    }
    // On a connection that is up, the stream starts now; otherwise once it has connected.
    let now: http2.ClientHttp2Stream | undefined;
    try {
      now = options.session.requestNow(headers, {});
    } catch (err) {
      call.notStarted(err);
      return;
    }
    if (now !== undefined) call.start(now, body);
    else
      options.session.requestFlat(headers, {}).then(
        (stream) => call.start(stream, body),
        (err: unknown) => call.notStarted(err),
      );
  });
}

const kCall = Symbol("lean unary call");
type CallStream = http2.ClientHttp2Stream & { [kCall]: LeanCall };

/**
 * One call in flight: its state, and what its stream reports. The stream's
 * listeners are shared functions that find the call on the stream (a closure
 * per listener and call would be garbage the moment the call ends).
 */
class LeanCall {
  stream: http2.ClientHttp2Stream | undefined = undefined;
  /** The connection the stream was opened on (a closed stream no longer says). */
  connection: http2.Http2Session | undefined = undefined;
  settled = false;
  timer: NodeJS.Timeout | undefined = undefined;
  head: http2.IncomingHttpHeaders | undefined = undefined;
  trailers: http2.IncomingHttpHeaders | undefined = undefined;
  readonly chunks: Buffer[] = [];
  size = 0;
  streamError: Error | undefined = undefined;
  readonly #onAbort: (() => void) | undefined;

  constructor(
    readonly req: UnaryRequest,
    readonly readMaxBytes: number,
    readonly resolve: (res: UnaryResponse) => void,
    readonly reject: (err: ConnectError) => void,
  ) {
    const signal = req.signal;
    // A call without a signal of its own has one that never aborts: nothing to listen for.
    if (signal !== NEVER_ABORTED) {
      this.#onAbort = () => this.settle(ConnectError.from(signal.reason, Code.Canceled));
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
  }

  start(stream: http2.ClientHttp2Stream, body: Buffer): void {
    this.stream = stream;
    if (this.settled) {
      stream.close(NGHTTP2_CANCEL);
      return;
    }
    this.connection = stream.session;
    (stream as CallStream)[kCall] = this;
    // "response", "trailers" and "close" come once each: on() spares the wrapper once() makes.
    stream.on("response", onResponse);
    stream.on("data", onData);
    stream.on("trailers", onTrailers);
    stream.on("error", onError);
    stream.on("close", onClose);
    stream.end(body);
  }

  notStarted(err: unknown): void {
    // No connection: UNAVAILABLE, and the NotSentError cause lets the channel retry. Anything else
    // is the request itself (headers HTTP/2 refuses), which would fail anywhere: INTERNAL, as gRPC says.
    const code = err instanceof NotSentError ? Code.Unavailable : Code.Internal;
    this.settle(new ConnectError(`cannot start the call: ${(err as Error).message}`, code, undefined, undefined, err));
  }

  settle(err: ConnectError | undefined, res?: UnaryResponse): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.#onAbort !== undefined) this.req.signal.removeEventListener("abort", this.#onAbort);
    if (err === undefined) {
      this.resolve(res as UnaryResponse);
      return;
    }
    this.reject(err);
    const stream = this.stream;
    if (stream !== undefined && !stream.closed && !stream.destroyed) stream.close(NGHTTP2_CANCEL);
  }
}

function onDeadline(call: LeanCall): void {
  call.settle(new ConnectError("the operation timed out", Code.DeadlineExceeded));
}

function onResponse(this: CallStream, head: http2.IncomingHttpHeaders): void {
  this[kCall].head = head;
}

function onData(this: CallStream, chunk: Buffer): void {
  const call = this[kCall];
  call.chunks.push(chunk);
  call.size += chunk.length;
  if (call.size > call.readMaxBytes + 5) call.settle(tooLarge(call.size - 5, call.readMaxBytes));
}

function onTrailers(this: CallStream, trailers: http2.IncomingHttpHeaders): void {
  this[kCall].trailers = trailers;
}

function onError(this: CallStream, err: Error): void {
  // Reported on close, with the reset code; kept as the cause (GOAWAY: the call was not processed).
  this[kCall].streamError = err;
}

function onClose(this: CallStream): void {
  const call = this[kCall];
  // A connection that ended without an error (the peer's socket closed, e.g. its process died)
  // cancels its streams with no error at all: give them one, the same for every stream it took.
  const connection = call.connection;
  if (call.streamError === undefined && connection !== undefined && connection.destroyed) call.streamError = connectionLost(connection);
  try {
    call.settle(undefined, finish(this, call.req, call.readMaxBytes, call.head, call.trailers, call.chunks, call.size, call.streamError));
  } catch (err) {
    call.settle(ConnectError.from(err, Code.Internal));
  }
}

