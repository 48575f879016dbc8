// A lean gRPC unary client on one ChannelSession: the request enveloped with
// the generated descriptors, one HTTP/2 stream, status and details read from
// the trailers, deadline and cancellation through the stream. It builds no
// AbortController, no async-iterable pipeline and no ConnectError unless the
// call fails; streaming calls go to connect-node's gRPC transport on the same
// session. Errors carry the codes connect-node gives, and a call the server
// never saw (no connection, GOAWAY, REFUSED_STREAM) has a NotSentError in its
// causes, so the channel's retry rules treat both transports alike.
import * as http2 from "node:http2";
import { create, isMessage, toBinary, type DescMessage, type DescMethodUnary, type MessageShape } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextValues,
  type ContextValues,
  type Interceptor,
  type Transport,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { ChannelSession } from "../channel/session.js";
import { methodPath, NEVER_ABORTED, run, type TimedRequest } from "../intercept-transport.js";
import { GRPC_CONTENT_TYPE } from "./grpc-unary.js";
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


/** A Transport for one lane of an endpoint: lean unary calls, connect-node for streams. */
export function createLaneTransport(options: LaneTransportOptions): Transport {
  const streaming = createGrpcTransport({
    baseUrl: options.baseUrl,
    sessionManager: options.session,
    readMaxBytes: options.readMaxBytes,
    interceptors: [...options.interceptors],
  });
  const core: UnaryNext = (req) => callUnary(options, req);
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
        contextValues: contextValues ?? createContextValues(),
        message: isMessage(input, method.input) ? input : create(method.input, input as never),
        timeoutMs,
      };
      return run(chain, req) as Promise<UnaryResponse<I, O>>;
    },
    stream: (...args) => streaming.stream(...args),
  };
}

function callUnary(options: LaneTransportOptions, req: UnaryRequest & TimedRequest): Promise<UnaryResponse> {
  const method = req.method as DescMethodUnary;
  const signal = req.signal;
  if (signal.aborted) return Promise.reject(ConnectError.from(signal.reason, Code.Canceled));
  const headers: http2.OutgoingHttpHeaders = { "content-type": GRPC_CONTENT_TYPE, te: "trailers", "user-agent": USER_AGENT };
  req.header.forEach((value, key) => {
    headers[key] = value;
  });
  const timeoutMs = req.timeoutMs;
  if (timeoutMs !== undefined) {
    // Connect's rule: a timeout of 0 or less disables the deadline (the channel refuses those earlier).
    if (timeoutMs > 0) headers["grpc-timeout"] = `${Math.ceil(timeoutMs)}m`;
  }
  const body = envelope(toBinary(method.input, req.message as MessageShape<DescMessage>));
  const path = methodPath(method);
  return new Promise<UnaryResponse>((resolve, reject) => {
    let stream: http2.ClientHttp2Stream | undefined;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (err: ConnectError | undefined, res?: UnaryResponse) => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      if (listening) signal.removeEventListener("abort", onAbort);
      if (err === undefined) resolve(res as UnaryResponse);
      else {
        reject(err);
        if (stream !== undefined && !stream.closed && !stream.destroyed) stream.close(NGHTTP2_CANCEL);
      }
    };
    const onAbort = () => settle(ConnectError.from(signal.reason, Code.Canceled));
    // A call without a signal of its own has one that never aborts: nothing to listen for.
    const listening = signal !== NEVER_ABORTED;
    if (listening) signal.addEventListener("abort", onAbort, { once: true });
    if (timeoutMs !== undefined && timeoutMs > 0) {
      // The server enforces grpc-timeout; this timer is the backstop for one that does not answer. A
      // millisecond late, so that when a handler passes on its own remaining time the inbound deadline
      // (ending the handler with DEADLINE_EXCEEDED) fires before the outbound one (a failed branch).
      timer = setTimeout(() => settle(new ConnectError("the operation timed out", Code.DeadlineExceeded)), timeoutMs + 1);
    }
    const start = (s: http2.ClientHttp2Stream) => {
      stream = s;
      if (settled) {
        s.close(NGHTTP2_CANCEL);
        return;
      }
      readResponse(s, req, options.readMaxBytes, settle);
      s.end(body);
    };
    const notStarted = (err: unknown) =>
      settle(new ConnectError(`cannot start the call: ${(err as Error).message}`, Code.Unavailable, undefined, undefined, err));
    // On a connection that is up, the stream starts now; otherwise once it has connected.
    let now: http2.ClientHttp2Stream | undefined;
    try {
      now = options.session.requestNow("POST", path, headers, {});
    } catch (err) {
      notStarted(err);
      return;
    }
    if (now !== undefined) start(now);
    else options.session.request("POST", path, headers, {}).then(start, notStarted);
  });
}

function readResponse(
  stream: http2.ClientHttp2Stream,
  req: UnaryRequest,
  readMaxBytes: number,
  settle: (err: ConnectError | undefined, res?: UnaryResponse) => void,
): void {
  let head: http2.IncomingHttpHeaders | undefined;
  let trailers: http2.IncomingHttpHeaders | undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  stream.once("response", (h) => {
    head = h;
  });
  stream.on("data", (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
    if (size > readMaxBytes + 5) settle(tooLarge(size - 5, readMaxBytes));
  });
  stream.once("trailers", (t) => {
    trailers = t;
  });
  let streamError: Error | undefined;
  stream.on("error", (err: Error) => {
    // Reported on close, with the reset code; kept as the cause (GOAWAY: the call was not processed).
    streamError = err;
  });
  const connection = stream.session;
  stream.once("close", () => {
    // A connection that ended without an error (the peer's socket closed, e.g. its process died)
    // cancels its streams with no error at all: give them one, the same for every stream it took.
    if (streamError === undefined && connection !== undefined && connection.destroyed) streamError = connectionLost(connection);
    try {
      settle(undefined, finish(stream, req, readMaxBytes, head, trailers, chunks, size, streamError));
    } catch (err) {
      settle(ConnectError.from(err, Code.Internal));
    }
  });
}


function envelope(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(5 + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

