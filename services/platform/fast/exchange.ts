// The HTTP/2 side of a fast-path call: reading the request body from the
// stream and writing the response, with Node's stream API for calls taken
// from the server's stream event, through Node's compatibility response for
// calls that came as a request (the adapter used as a plain request handler).
import * as http2 from "node:http2";

/** A call's HTTP/2 stream, and Node's compatibility response when the call came through one. */
export interface Exchange {
  readonly stream: http2.ServerHttp2Stream;
  readonly response?: http2.Http2ServerResponse | undefined;
}

const { NGHTTP2_INTERNAL_ERROR } = http2.constants;

/**
 * Sends the response head, the body (may be empty) and, when given, trailers.
 * Does nothing when the stream is gone (the caller cancelled) or answered.
 */
export function send(x: Exchange, status: number, head: http2.OutgoingHttpHeaders, body: Uint8Array | undefined, trailers: http2.OutgoingHttpHeaders | undefined): void {
  const stream = x.stream;
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  try {
    const res = x.response;
    if (res !== undefined) {
      // The compatibility response sends trailers on the stream's wantTrailers itself.
      res.writeHead(status, head);
      if (trailers !== undefined) res.addTrailers(trailers);
    } else {
      head[":status"] = status;
      if (trailers === undefined) stream.respond(head);
      else {
        stream.respond(head, { waitForTrailers: true });
        stateOf(stream).trailers = trailers;
        stream.on("wantTrailers", onWantTrailers);
      }
    }
    if (body === undefined) stream.end();
    else stream.end(body);
  } catch {
    // Closed under us (the caller is gone), or a header Node refuses: either way this call cannot be answered.
    abandon(stream);
  }
}

/** Sends the trailers send() left on the stream, when Node asks for them (once per stream). */
function onWantTrailers(this: StatefulStream): void {
  const trailers = this[kState]?.trailers ?? {};
  // Nothing more to keep on a stream that outlives its call (see StreamState).
  this[kState] = undefined;
  try {
    this.sendTrailers(trailers);
  } catch {
    abandon(this);
  }
}

/** Resets a stream that cannot be answered, so that the caller sees it end rather than wait. */
function abandon(stream: http2.ServerHttp2Stream): void {
  if (!stream.closed && !stream.destroyed) stream.close(NGHTTP2_INTERNAL_ERROR);
}

/**
 * Header names HTTP/2 forbids (RFC 9113 8.2.2); Node throws on them where its
 * compatibility response dropped them with a warning. `te` is allowed as "trailers" only.
 */
const CONNECTION_SPECIFIC = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te"]);

/** Appends Headers to a Node header object (multiple values joined, as connect-node does). */
export function addHeaders(target: http2.OutgoingHttpHeaders, headers: Headers | undefined, prefix = ""): void {
  headers?.forEach((value, key) => {
    if (prefix === "" && CONNECTION_SPECIFIC.has(key) && !(key === "te" && value === "trailers")) return;
    target[prefix + key] = value;
  });
}

/** Node's headers (a request's, or a response's on the client) as fetch Headers, without HTTP/2 pseudo-headers. */
export function webHeaders(headers: http2.IncomingHttpHeaders): Headers {
  return new RequestHeaders(headers) as unknown as Headers;
}

/** Headers' methods, as methods (the DOM typings declare them as properties, which a subclass cannot override). */
interface HeadersMethods {
  append(name: string, value: string): void;
  delete(name: string): void;
  get(name: string): string | null;
  getSetCookie(): string[];
  has(name: string): boolean;
  set(name: string, value: string): void;
  forEach(callback: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void;
  entries(): IterableIterator<[string, string]>;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string>;
  [Symbol.iterator](): IterableIterator<[string, string]>;
}

const HeadersBase = Headers as unknown as new () => HeadersMethods;

/** A valid header name (RFC 9110 token); HTTP/2 pseudo-headers are not. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Fetch Headers over Node's header object, copied into the Headers on first
 * use: most calls only ever get() a header or two (the log line's
 * x-request-id), and a Headers filled with a request's five or six headers
 * costs about 0.6 us. get() reads Node's object until then; every other method
 * fills first, so that they all see what Headers would.
 */
class RequestHeaders extends HeadersBase {
  #raw: http2.IncomingHttpHeaders | undefined;

  constructor(raw: http2.IncomingHttpHeaders) {
    super();
    this.#raw = raw;
  }

  #fill(): void {
    const raw = this.#raw;
    if (raw === undefined) return;
    this.#raw = undefined;
    for (const key in raw) {
      if (key.charCodeAt(0) === 58 /* ":" */) continue;
      const value = raw[key];
      if (value === undefined) continue;
      if (typeof value === "string") super.append(key, value);
      else for (const v of value) super.append(key, v);
    }
  }

  override get(name: string): string | null {
    const raw = this.#raw;
    // An invalid name: Headers' own TypeError.
    if (raw === undefined || !TOKEN.test(name)) return super.get(name);
    const value = raw[name.toLowerCase()];
    if (value === undefined) return null;
    return typeof value === "string" ? value : value.join(", ");
  }

  override append(name: string, value: string): void {
    this.#fill();
    super.append(name, value);
  }

  override delete(name: string): void {
    this.#fill();
    super.delete(name);
  }

  override has(name: string): boolean {
    this.#fill();
    return super.has(name);
  }

  override set(name: string, value: string): void {
    this.#fill();
    super.set(name, value);
  }

  override getSetCookie(): string[] {
    this.#fill();
    return super.getSetCookie();
  }

  override forEach(callback: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    this.#fill();
    super.forEach(callback, thisArg);
  }

  override entries(): IterableIterator<[string, string]> {
    this.#fill();
    return super.entries();
  }

  override keys(): IterableIterator<string> {
    this.#fill();
    return super.keys();
  }

  override values(): IterableIterator<string> {
    this.#fill();
    return super.values();
  }

  override [Symbol.iterator](): IterableIterator<[string, string]> {
    this.#fill();
    return super[Symbol.iterator]();
  }
}

/** A call that must hear of its stream closing before it has been answered. */
export interface CloseWatcher {
  /** The caller went away: an RST_STREAM, or the connection closed. */
  cancel(): void;
}

/** Tells `watcher` if the stream closes, until unwatchClose. */
export function watchClose(stream: http2.ServerHttp2Stream, watcher: CloseWatcher): void {
  stateOf(stream).watcher = watcher;
  // "close" comes once: on() spares the wrapper once() makes.
  stream.on("close", onStreamClose);
}

export function unwatchClose(stream: http2.ServerHttp2Stream): void {
  stream.off("close", onStreamClose);
  const state = (stream as StatefulStream)[kState];
  if (state !== undefined) state.watcher = undefined;
}

function onStreamClose(this: StatefulStream): void {
  this[kState]?.watcher?.cancel();
}

export interface BodyReader {
  /** Called with each chunk's running total; returning an error stops reading and fails the call. */
  check(size: number, chunks: readonly Buffer[]): Error | undefined;
  done(err: Error | undefined, body: Buffer): void;
}

/**
 * What a stream's shared listeners need: the call to cancel if the stream
 * closes before its answer, the body read so far, the trailers to send. One
 * object of one shape, the only property the fast path adds to Node's stream.
 * Node keeps the stream a while after the call is answered (until the session
 * tells it the stream closed): whatever the stream still points to then lives
 * as long, and a stream alive when the young generation is collected takes it
 * along into the old one. So each part is dropped as soon as it has served:
 * the call once answered, the reader (also the call) once the body is read or
 * refused, the whole state once the trailers are sent.
 */
class StreamState {
  watcher: CloseWatcher | undefined = undefined;
  /** Set while the body is being read. */
  reader: BodyReader | undefined = undefined;
  chunks: Buffer[] | undefined = undefined;
  size = 0;
  trailers: http2.OutgoingHttpHeaders | undefined = undefined;
}
const kState = Symbol("fast-path stream state");
type StatefulStream = http2.ServerHttp2Stream & { [kState]?: StreamState | undefined };

function stateOf(stream: http2.ServerHttp2Stream): StreamState {
  return ((stream as StatefulStream)[kState] ??= new StreamState());
}

/**
 * Reads the whole request body (usually one chunk), checking limits as it
 * arrives. The listeners are shared functions that keep their state on the
 * stream: closures per call would be garbage the moment the call is answered.
 */
export function readBody(stream: http2.ServerHttp2Stream, reader: BodyReader): void {
  const state = stateOf(stream);
  state.reader = reader;
  state.chunks = [];
  state.size = 0;
  stream.on("data", onBodyData);
  // "end" comes once: on() spares the wrapper once() makes.
  stream.on("end", onBodyEnd);
}

function onBodyData(this: StatefulStream, chunk: Buffer): void {
  const state = this[kState];
  const reader = state?.reader;
  // Refused already (what still comes is dropped), or answered.
  if (state === undefined || reader === undefined) return;
  const chunks = state.chunks as Buffer[];
  chunks.push(chunk);
  const size = state.size + chunk.length;
  state.size = size;
  const err = reader.check(size, chunks);
  if (err !== undefined) {
    stopReading(state);
    reader.done(err, EMPTY);
  }
}

function onBodyEnd(this: StatefulStream): void {
  this.off("data", onBodyData);
  const state = this[kState];
  const reader = state?.reader;
  if (state === undefined || reader === undefined) return;
  const chunks = state.chunks as Buffer[];
  const size = state.size;
  stopReading(state);
  reader.done(undefined, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
}

function stopReading(state: StreamState): void {
  state.reader = undefined;
  state.chunks = undefined;
}

const EMPTY = Buffer.alloc(0);
