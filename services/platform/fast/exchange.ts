// The HTTP/2 side of a fast-path call: reading the request body from the
// stream and writing the response through Node's compatibility API.
import type * as http2 from "node:http2";

/** A call on Node's HTTP/2 compatibility API: the raw stream is read, the response written through the compatibility object. */
export interface Exchange {
  readonly stream: http2.ServerHttp2Stream;
  readonly response: http2.Http2ServerResponse;
}

/** Whether the response can still be written: the caller may have reset the stream. */
export function writable(x: Exchange): boolean {
  return !x.stream.destroyed && !x.stream.closed && !x.response.headersSent;
}

/**
 * Sends the response head, the body (may be empty) and, when given, trailers.
 * Does nothing when the stream is gone (the caller cancelled).
 */
export function send(x: Exchange, status: number, head: http2.OutgoingHttpHeaders, body: Uint8Array | undefined, trailers: http2.OutgoingHttpHeaders | undefined): void {
  if (!writable(x)) return;
  try {
    const res = x.response;
    res.writeHead(status, head);
    if (trailers !== undefined) res.addTrailers(trailers);
    if (body === undefined) res.end();
    else res.end(body);
  } catch {
    // The stream closed between the check and the write: the caller is gone.
  }
}

/** Appends Headers to a Node header object (multiple values joined, as connect-node does). */
export function addHeaders(target: http2.OutgoingHttpHeaders, headers: Headers | undefined, prefix = ""): void {
  headers?.forEach((value, key) => {
    target[prefix + key] = value;
  });
}

/** The request's headers as fetch Headers, without HTTP/2 pseudo-headers. */
export function webHeaders(headers: http2.IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const key in headers) {
    if (key.charCodeAt(0) === 58 /* ":" */) continue;
    const value = headers[key];
    if (value === undefined) continue;
    if (typeof value === "string") out.append(key, value);
    else for (const v of value) out.append(key, v);
  }
  return out;
}

export interface BodyReader {
  /** Called with each chunk's running total; returning an error stops reading and fails the call. */
  readonly check: (size: number, chunks: readonly Buffer[]) => Error | undefined;
  readonly done: (err: Error | undefined, body: Buffer) => void;
}

/** Reads the whole request body (usually one chunk), checking limits as it arrives. */
export function readBody(stream: http2.ServerHttp2Stream, reader: BodyReader): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let failed = false;
  const onData = (chunk: Buffer) => {
    if (failed) return;
    chunks.push(chunk);
    size += chunk.length;
    const err = reader.check(size, chunks);
    if (err !== undefined) {
      failed = true;
      reader.done(err, EMPTY);
    }
  };
  stream.on("data", onData);
  stream.once("end", () => {
    stream.off("data", onData);
    if (failed) return;
    reader.done(undefined, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
  });
}

const EMPTY = Buffer.alloc(0);
