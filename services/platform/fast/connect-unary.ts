// Connect unary over HTTP/2 with POST (application/proto or application/json,
// no compression): the message is the body; trailers travel as `trailer-`
// headers; an error is a JSON body with the HTTP status of its code.
import type * as http2 from "node:http2";
import type { JsonWriteOptions } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { mergeNonProtocolHeaders } from "@connectrpc/connect/protocol";
import { codeToHttpStatus, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { addHeaders, send, type Exchange } from "./exchange.js";

export const CONNECT_PROTO = "application/proto";
export const CONNECT_JSON = "application/json";

/** Refuses a body above the limit as soon as it is known to be (content-length, or bytes read). */
export function checkConnectBody(readMaxBytes: number): (size: number) => Error | undefined {
  return (size) => (size > readMaxBytes ? tooLarge(size, readMaxBytes) : undefined);
}

export function tooLarge(size: number, readMaxBytes: number): ConnectError {
  return new ConnectError(`message size ${size} is larger than configured readMaxBytes ${readMaxBytes}`, Code.ResourceExhausted);
}

export function sendConnectMessage(x: Exchange, binary: boolean, body: Uint8Array, header: Headers | undefined, trailer: Headers | undefined): void {
  const head: http2.OutgoingHttpHeaders = { "content-type": binary ? CONNECT_PROTO : CONNECT_JSON };
  addHeaders(head, header);
  addHeaders(head, trailer, "trailer-");
  head["content-length"] = body.byteLength;
  send(x, 200, head, body, undefined);
}

export function sendConnectError(
  x: Exchange,
  jsonOptions: Partial<JsonWriteOptions> | undefined,
  error: ConnectError,
  header: Headers | undefined,
  trailer: Headers | undefined,
): void {
  const merged = new Headers(header);
  if (!error.isWireError) mergeNonProtocolHeaders(merged, error.metadata);
  const body = errorToJsonBytes(error, jsonOptions ?? {});
  const head: http2.OutgoingHttpHeaders = {};
  addHeaders(head, merged);
  addHeaders(head, trailer, "trailer-");
  head["content-type"] = CONNECT_JSON;
  head["content-length"] = body.byteLength;
  send(x, codeToHttpStatus(error.code), head, body, undefined);
}
