// One unary call served by the fast path: the interceptor request, the
// HandlerContext and the interceptor response Connect would build, with what
// costs made on first use only. The AbortSignal (an AbortController, and a
// DOMException when it aborts with no reason) exists once something reads it,
// and so do the response header and trailer objects. A signal made on demand
// aborts on cancellation, deadline, shutdown and when the handler returns,
// exactly as Connect's does; one nobody made had nobody to tell.
import type { DescMethodUnary, DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type ContextValues, type HandlerContext, type UnaryRequest, type UnaryResponse } from "@connectrpc/connect";
import type { CallEnd } from "../call-end.js";
import { FastContext, FastRequest, FastResponse, kCall } from "./call-objects.js";

export interface UnaryCallInit {
  readonly service: DescService;
  readonly method: DescMethodUnary;
  readonly protocolName: "grpc" | "connect";
  readonly url: string;
  readonly requestHeader: Headers;
  readonly values: ContextValues;
  /** Milliseconds the caller gave the call, if it set a deadline. */
  readonly timeoutMs: number | undefined;
  readonly shutdownSignal: AbortSignal | undefined;
  /**
   * Set for a deadline the server gave the call itself: the call ends with this
   * error when the deadline passes, whether or not anything reads its signal.
   * Otherwise the deadline is the caller's, and only a signal made on demand
   * aborts at it (with Connect's "the operation timed out").
   */
  readonly enforcedDeadline?: (() => ConnectError) | undefined;
}

export class UnaryCall implements CallEnd {
  readonly init: UnaryCallInit;
  readonly #deadline: number | undefined;
  #controller: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;
  #unlisten: (() => void) | undefined;
  #ended = false;
  #reason: unknown;
  #onEnd: Array<(reason: unknown) => void> | undefined;
  /** The error the enforced deadline ended the call with, once it has. */
  #expired: ConnectError | undefined;
  #responseHeader: Headers | undefined;
  #responseTrailer: Headers | undefined;
  /** The first request made, and the context made from it. */
  #request: FastRequest | undefined;
  #context: HandlerContext | undefined;
  /** The response object the innermost function returned, to tell it from a copy an interceptor made. */
  response: UnaryResponse | undefined;

  constructor(init: UnaryCallInit) {
    this.init = init;
    // Whole milliseconds, as Connect's context (a Date) keeps them: gRPC timeouts in u or n are fractional.
    this.#deadline = init.timeoutMs === undefined ? undefined : Math.trunc(Date.now() + init.timeoutMs);
    const enforced = init.enforcedDeadline;
    if (enforced !== undefined && this.#deadline !== undefined) {
      this.#timer = setTimeout(() => this.abort((this.#expired = enforced())), Math.max(0, this.#deadline - Date.now()));
    }
  }

  get enforcesDeadline(): boolean {
    return this.init.enforcedDeadline !== undefined;
  }

  /**
   * Settles as `result` does, or rejects when the enforced deadline passes first.
   * Only the deadline: a handler that finishes after its caller went away is
   * recorded with its own outcome, as it is for a deadline the caller set.
   */
  race<T>(result: T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.onEnd((reason) => {
        if (reason === this.#expired) reject(reason);
      });
      Promise.resolve(result).then(resolve, reject);
    });
  }

  get responseHeader(): Headers {
    return (this.#responseHeader ??= new Headers());
  }

  get responseTrailer(): Headers {
    return (this.#responseTrailer ??= new Headers());
  }

  /** Response headers set so far, undefined when nobody touched them. */
  peekResponseHeader(): Headers | undefined {
    return this.#responseHeader;
  }

  peekResponseTrailer(): Headers | undefined {
    return this.#responseTrailer;
  }

  timeoutMs(): number | undefined {
    return this.#deadline === undefined ? undefined : this.#deadline - Date.now();
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      const controller = (this.#controller = new AbortController());
      if (this.#ended) controller.abort(this.#reason);
      else {
        const shutdown = this.init.shutdownSignal;
        if (shutdown?.aborted) this.abort(shutdown.reason);
        else {
          if (shutdown !== undefined) {
            const onShutdown = () => this.abort(shutdown.reason);
            shutdown.addEventListener("abort", onShutdown, { once: true });
            this.#unlisten = () => shutdown.removeEventListener("abort", onShutdown);
          }
          // An enforced deadline has its timer already.
          if (this.#deadline !== undefined && this.#timer === undefined) {
            const onDeadline = () => this.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded));
            this.#timer = setTimeout(onDeadline, Math.max(0, this.#deadline - Date.now()));
          }
        }
      }
    }
    return this.#controller.signal;
  }

  get ended(): boolean {
    return this.#ended;
  }

  onEnd(fn: (reason: unknown) => void): void {
    if (this.#ended) fn(this.#reason);
    else (this.#onEnd ??= []).push(fn);
  }

  /** Ends the call with `reason`: end listeners run, then the signal (made or to be made) aborts; later calls change nothing. */
  abort(reason?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#reason = reason;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#unlisten?.();
    if (this.#onEnd !== undefined) for (const fn of this.#onEnd) fn(reason);
    this.#controller?.abort(reason);
  }

  /** The caller went away: an RST_STREAM, or the connection closed. */
  cancel(): void {
    if (!this.#ended) this.abort(new ConnectError("the call was canceled by the client", Code.Canceled));
  }

  /**
   * The call has been answered: drops the objects made while it ran (the
   * request and context the interceptors got, the response and its
   * metadata). A call that was in flight when V8 last collected its young
   * generation lives in the old one until a full collection, and would keep
   * them alive as long: every object an old object points to survives the
   * young collections. The signal, if made, stays: a handler may still be
   * listening to it.
   */
  release(): void {
    this.#request = undefined;
    this.#context = undefined;
    this.response = undefined;
    this.#responseHeader = undefined;
    this.#responseTrailer = undefined;
  }

  /**
   * The call is over (answered or failed): a signal made on demand aborts, as
   * Connect's does when the handler returns, with one shared AbortError
   * rather than a new DOMException per call.
   */
  end(): void {
    if (!this.#ended) this.abort(CALL_ENDED);
  }

  /**
   * The request the first interceptor gets. The request gate's context is made
   * before the message is read, from a request without one: that request takes
   * the message here, so that the context made for it serves the handler too.
   */
  request(message: unknown): UnaryRequest {
    const made = this.#request;
    if (made !== undefined && made.message === undefined) {
      made.message = message;
      return made as unknown as UnaryRequest;
    }
    const req = new FastRequest(this, message);
    this.#request ??= req;
    return req as unknown as UnaryRequest;
  }

  /** The handler's context, from the request as the interceptors passed it on (Connect's mergeRequest). */
  context(req: UnaryRequest): HandlerContext {
    if (this.#context !== undefined && req === (this.#request as unknown)) return this.#context;
    const context = new FastContext(this, req) as unknown as HandlerContext;
    if (req === (this.#request as unknown)) this.#context = context;
    return context;
  }

  /** The response the innermost function returns. */
  respond(message: unknown): UnaryResponse {
    const res = new FastResponse(this, message) as unknown as UnaryResponse;
    this.response = res;
    return res;
  }

  /** Response headers to send: the call's, or those of a response an interceptor replaced. */
  headerOf(res: UnaryResponse): Headers | undefined {
    return res === this.response ? this.#responseHeader : res.header;
  }

  trailerOf(res: UnaryResponse): Headers | undefined {
    return res === this.response ? this.#responseTrailer : res.trailer;
  }
}

/** The reason a signal aborts with when its call is over: immutable, so one instance serves every call. */
const CALL_ENDED = new DOMException("the call has ended", "AbortError");

export function callOf(req: UnaryRequest): UnaryCall | undefined {
  return (req as unknown as { [kCall]?: UnaryCall })[kCall];
}
