// One HTTP/2 connection of a channel: connects on demand, counts its open
// streams, answers keepalive pings, closes when idle, and is replaced (not
// reused) once it fails or the server sends GOAWAY. It is the session manager
// connect-node's gRPC transport runs its calls on.
import * as http2 from "node:http2";
import { adoptStreamTable } from "../stream-table.js";

/**
 * Request headers in Node's flat form, [name, value, name, value, ...], with
 * :method and :path among them (Node adds :scheme and :authority). Node
 * validates them as they are, where an object is first copied into another.
 */
export type FlatHeaders = string[];

export type SessionState = "idle" | "connecting" | "ready" | "closed";

export interface SessionOptions {
  /** Send a PING this often while connected; 0 turns keepalive off. */
  readonly keepaliveMs: number;
  /** A PING unanswered for this long kills the connection. */
  readonly keepaliveTimeoutMs: number;
  /** Close the connection after this long without streams; 0 never. */
  readonly idleTimeoutMs: number;
  /** Give up connecting after this long. */
  readonly connectTimeoutMs: number;
}

/**
 * TLS settings of each new connection (CA, client certificate, server name),
 * asked for at every dial so that reloaded files apply to new connections.
 */
export type TlsConnectOptions = () => http2.SecureClientSessionOptions;

/** Raised when a stream could not be started: the call was never sent, so any method may be retried. */
export class NotSentError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NotSentError";
  }
}

/** OpenSSL and Node codes of a failed TLS handshake or certificate check. */
const TLS_FAILURE = /^(ERR_SSL_|ERR_TLS_|ERR_OSSL_|UNABLE_TO_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|HOSTNAME_MISMATCH$)/;

/**
 * True when a call failed because TLS could not be set up with the peer (an
 * untrusted or mismatched certificate, a refused client certificate): the
 * peer processed nothing, and gRPC reports such calls as UNAVAILABLE.
 */
export function isTlsFailure(err: unknown): boolean {
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && TLS_FAILURE.test(code)) return true;
  }
  return false;
}

export class ChannelSession {
  readonly authority: string;
  readonly #options: SessionOptions;
  readonly #tls: TlsConnectOptions | undefined;
  #session: http2.ClientHttp2Session | undefined;
  #connecting: Promise<http2.ClientHttp2Session> | undefined;
  #active = 0;
  #keepalive: NodeJS.Timeout | undefined;
  #idle: NodeJS.Timeout | undefined;
  /** Called when the connection fails or is lost (not on an orderly idle close). */
  onFailure: ((err: Error) => void) | undefined;

  /** `authority` is http://host:port, or https://host:port with `tls` (then the connection is TLS, ALPN h2). */
  constructor(authority: string, options: SessionOptions, tls?: TlsConnectOptions) {
    this.authority = authority;
    this.#options = options;
    this.#tls = tls;
  }

  get state(): SessionState {
    if (this.#connecting !== undefined) return "connecting";
    const s = this.#session;
    if (s === undefined) return "idle";
    return s.closed || s.destroyed ? "closed" : "ready";
  }

  /** Streams currently open on this connection. */
  get activeStreams(): number {
    return this.#active;
  }

  /** The server's limit on concurrent streams (until it is known, a conservative 100). */
  get maxConcurrentStreams(): number {
    const limit = this.#session?.remoteSettings?.maxConcurrentStreams;
    return limit === undefined || limit === 0 ? 100 : Math.min(limit, 1_000_000);
  }

  /**
   * Opens a stream; connects first when needed. Rejects with NotSentError when
   * no stream could be started, and with Node's own error for headers HTTP/2 refuses.
   */
  async request(
    method: string,
    path: string,
    headers: http2.OutgoingHttpHeaders,
    options: Omit<http2.ClientSessionRequestOptions, "signal">,
  ): Promise<http2.ClientHttp2Stream> {
    return this.#open(await this.#ready(), { ...headers, ":method": method, ":path": path }, options);
  }

  /** As request(), with the headers in Node's flat form (see FlatHeaders). */
  async requestFlat(headers: FlatHeaders, options: Omit<http2.ClientSessionRequestOptions, "signal">): Promise<http2.ClientHttp2Stream> {
    return this.#open(await this.#ready(), headers, options);
  }

  /**
   * Opens a stream at once when the connection is up, without the promise and
   * the turn of the microtask queue of requestFlat(); undefined when it must
   * connect first (then call requestFlat()). Throws NotSentError as requestFlat() rejects.
   */
  requestNow(headers: FlatHeaders, options: Omit<http2.ClientSessionRequestOptions, "signal">): http2.ClientHttp2Stream | undefined {
    const current = this.#session;
    if (current === undefined || current.closed || current.destroyed) return undefined;
    return this.#open(current, headers, options);
  }

  #open(
    session: http2.ClientHttp2Session,
    headers: http2.OutgoingHttpHeaders | FlatHeaders,
    options: Omit<http2.ClientSessionRequestOptions, "signal">,
  ): http2.ClientHttp2Stream {
    let stream: http2.ClientHttp2Stream;
    try {
      // Node's types know only the object form; request() takes both.
      stream = session.request(headers as http2.OutgoingHttpHeaders, options);
    } catch (err) {
      // Headers HTTP/2 forbids (a connection header, a duplicate content-type): the caller's
      // mistake, not the connection's, which stays for the next call.
      if (!session.closed && !session.destroyed) throw err;
      // GOAWAY or destroyed between the check and the request: nothing was sent.
      this.#drop(session);
      throw new NotSentError("the connection closed before the call started", { cause: err });
    }
    if (this.#active++ === 0) clearTimeout(this.#idle);
    // "close" comes once: on() spares the wrapper once() makes per stream.
    stream.on("close", () => {
      this.#active--;
      if (this.#active === 0) this.#armIdle(session);
    });
    return stream;
  }

  notifyResponseByteRead(): void {
    // Keepalive here is time-based; reads need no bookkeeping.
  }

  /** Closes gracefully: open streams finish, no new ones start. */
  close(): void {
    const session = this.#session;
    this.#session = undefined;
    this.#stopTimers();
    if (session !== undefined && !session.closed) session.close();
  }

  /** Closes at once, failing open streams. */
  destroy(): void {
    const session = this.#session;
    this.#session = undefined;
    this.#stopTimers();
    session?.destroy();
  }

  async #ready(): Promise<http2.ClientHttp2Session> {
    const current = this.#session;
    if (current !== undefined && !current.closed && !current.destroyed) return current;
    this.#session = undefined;
    this.#connecting ??= this.#connect().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  #connect(): Promise<http2.ClientHttp2Session> {
    return new Promise((resolve, reject) => {
      const session = this.#tls === undefined ? http2.connect(this.authority) : http2.connect(this.authority, this.#tls());
      // Node's own table of a session's streams costs young collections dearly under load (see stream-table.ts).
      adoptStreamTable(session);
      const timer = setTimeout(() => {
        session.destroy();
        reject(new NotSentError(`no connection to ${this.authority} within ${this.#options.connectTimeoutMs} ms`));
      }, this.#options.connectTimeoutMs);
      const onError = (err: Error) => {
        clearTimeout(timer);
        session.destroy();
        this.onFailure?.(err);
        reject(new NotSentError(`cannot connect to ${this.authority}: ${err.message}`, { cause: err }));
      };
      session.once("error", onError);
      session.once("connect", () => {
        clearTimeout(timer);
        session.off("error", onError);
        session.on("error", (err) => this.#fail(session, err));
        session.once("goaway", () => this.#drop(session));
        session.once("close", () => this.#drop(session));
        session.unref();
        this.#session = session;
        this.#startKeepalive(session);
        this.#armIdle(session);
        resolve(session);
      });
    });
  }

  #fail(session: http2.ClientHttp2Session, err: Error): void {
    this.#drop(session);
    this.onFailure?.(err);
  }

  /** Forgets a connection that can take no new streams; the next request dials a new one. */
  #drop(session: http2.ClientHttp2Session): void {
    if (this.#session === session) {
      this.#session = undefined;
      this.#stopTimers();
    }
  }

  #startKeepalive(session: http2.ClientHttp2Session): void {
    if (this.#options.keepaliveMs <= 0) return;
    this.#keepalive = setInterval(() => {
      // A ping on a closing session throws synchronously; never let it escape a timer.
      if (session.closed || session.destroyed) return;
      const timeout = setTimeout(() => {
        session.destroy();
        this.#fail(session, new Error(`keepalive ping unanswered for ${this.#options.keepaliveTimeoutMs} ms`));
      }, this.#options.keepaliveTimeoutMs);
      timeout.unref();
      try {
        session.ping((err) => {
          clearTimeout(timeout);
          if (err !== null && !session.destroyed) this.#fail(session, err);
        });
      } catch (err) {
        clearTimeout(timeout);
        this.#fail(session, err as Error);
      }
    }, this.#options.keepaliveMs);
    this.#keepalive.unref();
  }

  #armIdle(session: http2.ClientHttp2Session): void {
    clearTimeout(this.#idle);
    if (this.#options.idleTimeoutMs <= 0 || this.#session !== session) return;
    this.#idle = setTimeout(() => {
      if (this.#active === 0 && this.#session === session) this.close();
    }, this.#options.idleTimeoutMs);
    this.#idle.unref();
  }

  #stopTimers(): void {
    clearInterval(this.#keepalive);
    clearTimeout(this.#idle);
    this.#keepalive = undefined;
    this.#idle = undefined;
  }
}
