// gRPC unary over HTTP/2 (application/grpc, proto codec, no compression):
// one enveloped request message in, one enveloped response message and the
// status in trailers out, as Connect's gRPC handler does it.
import type * as http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { addHeaders, send, type Exchange } from "./exchange.js";

export const GRPC_CONTENT_TYPE = "application/grpc+proto";

/** Checks the envelope header as soon as it has arrived: refuses a message above the limit before reading it. */
export function checkGrpcEnvelope(readMaxBytes: number): (size: number, chunks: readonly Buffer[]) => Error | undefined {
  return (size, chunks) => {
    if (size < 5) return undefined;
    const first = chunks[0] as Buffer;
    const length = first.length >= 5 ? first.readUInt32BE(1) : Buffer.concat(chunks as Buffer[]).readUInt32BE(1);
    if (length > readMaxBytes) {
      return new ConnectError(`message size ${length} is larger than configured readMaxBytes ${readMaxBytes}`, Code.ResourceExhausted);
    }
    return undefined;
  };
}

/** The one message of a unary request body, or the error Connect raises for a malformed one. */
export function unwrapGrpcMessage(body: Buffer): Uint8Array {
  if (body.length === 0) throw new ConnectError("protocol error: missing input message for unary method", Code.Unimplemented);
  if (body.length < 5) throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
  const flags = body[0] as number;
  const length = body.readUInt32BE(1);
  if (body.length < 5 + length) throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
  if (body.length > 5 + length) {
    throw new ConnectError("protocol error: received extra input message for unary method", Code.Unimplemented);
  }
  if ((flags & 0b1) !== 0) {
    // Connect's code and words (the conformance suite expects INTERNAL).
    throw new ConnectError("received compressed envelope, but do not know how to decompress", Code.Internal);
  }
  if ((flags & ~0b1) !== 0) throw new ConnectError(`protocol error: invalid envelope flags ${flags}`, Code.Internal);
  return body.subarray(5);
}

/** Envelope: flags byte 0, big-endian length, the message. */
export function envelope(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(5 + message.length);
  frame.set(message, 5);
  return sealEnvelope(frame);
}

/** Writes the envelope's flags and length into the five bytes a frame left for them before its message. */
export function sealEnvelope(frame: Buffer): Buffer {
  frame[0] = 0;
  frame.writeUInt32BE(frame.length - 5, 1);
  return frame;
}

/** The answer: `frame` is the message in its envelope. */
export function sendGrpcMessage(
  x: Exchange,
  acceptEncoding: string | undefined,
  frame: Uint8Array,
  header: Headers | undefined,
  trailer: Headers | undefined,
): void {
  const head: http2.OutgoingHttpHeaders = { "content-type": GRPC_CONTENT_TYPE };
  if (acceptEncoding !== undefined) head["grpc-accept-encoding"] = acceptEncoding;
  addHeaders(head, header);
  const trailers: http2.OutgoingHttpHeaders = { "grpc-status": "0" };
  addHeaders(trailers, trailer);
  send(x, 200, head, frame, trailers);
}

/** Headers, no message, and the error's status, message, details and metadata in trailers. */
export function sendGrpcError(
  x: Exchange,
  acceptEncoding: string | undefined,
  error: ConnectError,
  header: Headers | undefined,
  trailer: Headers | undefined,
): void {
  const head: http2.OutgoingHttpHeaders = { "content-type": GRPC_CONTENT_TYPE };
  if (acceptEncoding !== undefined) head["grpc-accept-encoding"] = acceptEncoding;
  addHeaders(head, header);
  const status = setTrailerStatus(new Headers(trailer), error);
  const trailers: http2.OutgoingHttpHeaders = {};
  addHeaders(trailers, status);
  send(x, 200, head, undefined, trailers);
}
