// The answer to a lean unary call (fast/unary-client.ts): the response of a
// stream that closed, or the error Connect's gRPC transport raises for it,
// with the same codes and messages.
import * as http2 from "node:http2";
import { fromBinary, type DescMethodUnary } from "@bufbuild/protobuf";
import { Code, ConnectError, type UnaryRequest, type UnaryResponse } from "@connectrpc/connect";
import { codeFromHttpStatus, findTrailerError } from "@connectrpc/connect/protocol-grpc";
import { NotSentError } from "../channel/session.js";
import { hasConnectionErrorCode } from "../errors.js";
import { webHeaders } from "./exchange.js";
import { GRPC_CONTENT_TYPE } from "./grpc-unary.js";

const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM, NGHTTP2_NO_ERROR } = http2.constants;

/** The response of a closed stream, or the error Connect's gRPC transport would raise for it. */
export function finish(
  stream: http2.ClientHttp2Stream,
  req: UnaryRequest,
  readMaxBytes: number,
  head: http2.IncomingHttpHeaders | undefined,
  trailers: http2.IncomingHttpHeaders | undefined,
  chunks: Buffer[],
  size: number,
  streamError: Error | undefined,
): UnaryResponse {
  if (head === undefined) throw resetError(stream, "before the response headers", streamError);
  const status = Number(head[":status"]);
  if (status !== 200) throw new ConnectError(`HTTP ${status}`, codeFromHttpStatus(status), webHeaders(head));
  const contentType = head["content-type"] ?? "";
  if (contentType !== GRPC_CONTENT_TYPE && contentType !== "application/grpc" && !/^application\/grpc(?:\+proto)?(?:;|$)/i.test(contentType)) {
    throw new ConnectError(`unsupported content type ${contentType}`, Code.Unknown);
  }
  // A trailers-only response carries the status in its headers.
  const headerError = head["grpc-status"] === undefined ? undefined : findTrailerError(webHeaders(head));
  const encoding = head["grpc-encoding"];
  if (encoding !== undefined && encoding !== "identity") throw new ConnectError(`unsupported response encoding "${String(encoding)}"`, Code.Internal);
  const message = size === 0 ? undefined : unwrap(req.method as DescMethodUnary, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size), readMaxBytes);
  if (trailers === undefined && head["grpc-status"] === undefined) {
    // No status at all: the stream was reset, or the server broke off.
    if ((stream.rstCode ?? NGHTTP2_NO_ERROR) !== NGHTTP2_NO_ERROR || streamError !== undefined) throw resetError(stream, "before the trailers", streamError);
    throw new ConnectError("protocol error: missing status", Code.Internal);
  }
  if (trailers !== undefined && trailers["grpc-status"] !== "0") {
    const error = findTrailerError(webHeaders(trailers));
    if (error !== undefined) {
      webHeaders(head).forEach((value, key) => error.metadata.append(key, value));
      throw error;
    }
    if (trailers["grpc-status"] === undefined && head["grpc-status"] === undefined) throw new ConnectError("protocol error: missing status", Code.Internal);
  }
  if (message === undefined) {
    if (headerError !== undefined) throw headerError;
    throw new ConnectError("protocol error: missing output message for unary method", trailers?.["grpc-status"] !== undefined ? Code.Unimplemented : Code.Unknown);
  }
  if (headerError !== undefined) throw new ConnectError("protocol error: received output message for unary method with error status", Code.Unknown);
  return new LeanResponse(req, message, head, trailers ?? {}) as unknown as UnaryResponse;
}

const kHead = Symbol("response headers");
const kTrailers = Symbol("response trailers");

/**
 * A successful response: its Headers are made only if something reads them,
 * through accessors of its own (a spread copy reads them too) defined from
 * shared descriptors; an object literal with getters costs about 1.5 us.
 */
class LeanResponse {
  readonly stream = false;
  readonly service: UnaryRequest["service"];
  readonly method: UnaryRequest["method"];
  readonly message: unknown;
  readonly [kHead]: http2.IncomingHttpHeaders;
  readonly [kTrailers]: http2.IncomingHttpHeaders;

  constructor(req: UnaryRequest, message: unknown, head: http2.IncomingHttpHeaders, trailers: http2.IncomingHttpHeaders) {
    this.service = req.service;
    this.method = req.method;
    this.message = message;
    this[kHead] = head;
    this[kTrailers] = trailers;
    Object.defineProperty(this, "header", RESPONSE_HEADER);
    Object.defineProperty(this, "trailer", RESPONSE_TRAILER);
  }
}

const RESPONSE_HEADER: PropertyDescriptor = {
  get(this: LeanResponse) {
    return webHeaders(this[kHead]);
  },
  enumerable: true,
  configurable: true,
};
const RESPONSE_TRAILER: PropertyDescriptor = {
  get(this: LeanResponse) {
    return webHeaders(this[kTrailers]);
  },
  enumerable: true,
  configurable: true,
};

function unwrap(method: DescMethodUnary, body: Buffer, readMaxBytes: number): unknown {
  if (body.length < 5) {
    if (body.length === 0) throw new ConnectError("protocol error: missing output message for unary method", Code.Unimplemented);
    throw new ConnectError("protocol error: incomplete envelope", Code.Internal);
  }
  const flags = body[0] as number;
  const length = body.readUInt32BE(1);
  if (length > readMaxBytes) throw tooLarge(length, readMaxBytes);
  if (body.length !== 5 + length) {
    throw new ConnectError(
      body.length < 5 + length ? "protocol error: incomplete envelope" : "protocol error: received extra output message for unary method",
      body.length < 5 + length ? Code.Internal : Code.Unimplemented,
    );
  }
  if (flags !== 0) throw new ConnectError(`protocol error: unexpected envelope flags ${flags}`, Code.Internal);
  try {
    return fromBinary(method.output, body.subarray(5));
  } catch (err) {
    throw new ConnectError(`parse binary: ${(err as Error).message}`, Code.Internal);
  }
}

/** The error of a stream that ended without a status. REFUSED_STREAM: the server did not process it. */
function resetError(stream: http2.ClientHttp2Stream, when: string, cause: Error | undefined): ConnectError {
  const code = stream.rstCode ?? NGHTTP2_NO_ERROR;
  const message = `http/2 stream closed ${when} (code ${code}${cause === undefined ? "" : `, ${cause.message}`})`;
  if (code === NGHTTP2_REFUSED_STREAM) {
    return new ConnectError(message, Code.Unavailable, undefined, undefined, new NotSentError("the server refused the stream (NGHTTP2_REFUSED_STREAM)", { cause }));
  }
  // The connection went (the peer died, a reset, a timeout): UNAVAILABLE, as gRPC reports a lost
  // transport. connect-node says ABORTED for ECONNRESET; neither reaches the caller as INTERNAL.
  if (hasConnectionErrorCode(cause)) return new ConnectError(message, Code.Unavailable, undefined, undefined, cause);
  if (code === NGHTTP2_CANCEL) return new ConnectError(message, Code.Canceled, undefined, undefined, cause);
  return new ConnectError(message, Code.Internal, undefined, undefined, cause);
}

const lostConnections = new WeakMap<http2.Http2Session, Error>();

/** One error per lost connection, with the code of a reset, so the calls it took fail alike (and count once). */
export function connectionLost(connection: http2.Http2Session): Error {
  let err = lostConnections.get(connection);
  if (err === undefined) {
    err = Object.assign(new Error("the connection closed"), { code: "ECONNRESET" });
    lostConnections.set(connection, err);
  }
  return err;
}

export function tooLarge(size: number, readMaxBytes: number): ConnectError {
  return new ConnectError(`message size ${size} is larger than configured readMaxBytes ${readMaxBytes}`, Code.ResourceExhausted);
}
