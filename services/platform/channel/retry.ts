// When a failed attempt may be tried again, how long to wait, and the budget
// that keeps retries from multiplying an outage (gRPC's retry throttling:
// a token bucket that failures drain and successes refill).
import type { DescMethod } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel as Idempotency } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { NotSentError } from "./session.js";

export interface RetryOptions {
  /** Attempts in all, the first included. 1 turns retries off. */
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Tokens in the bucket; retries stop while it is at half or below. */
  readonly budgetTokens: number;
  /** Tokens a success puts back. */
  readonly budgetTokenRatio: number;
}

export const DEFAULT_RETRY_OPTIONS: RetryOptions = {
  maxAttempts: 3,
  initialBackoffMs: 20,
  maxBackoffMs: 500,
  // gRPC's usual 10 tokens let a replica that dies with more than four calls in
  // flight fail some of them for good; 20 absorbs that burst and still stops
  // retrying after ten failures in a row.
  budgetTokens: 20,
  budgetTokenRatio: 0.1,
};

const NOT_SENT_CODES = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ENOTFOUND", "ERR_HTTP2_GOAWAY_SESSION"]);

function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err; e !== undefined && e !== null && !chain.includes(e); e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

/**
 * True when the server cannot have processed the call: the connection was
 * refused, the stream was refused (REFUSED_STREAM, which connect-node reports
 * as INTERNAL) or never opened.
 */
export function wasNotSent(err: unknown): boolean {
  return causes(err).some((e) => {
    if (e instanceof NotSentError) return true;
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === "string" && NOT_SENT_CODES.has(code)) return true;
    return typeof message === "string" && message.includes("NGHTTP2_REFUSED_STREAM");
  });
}

/**
 * True when the failure is the connection's, not an answer of the server's.
 * A connection that dies cancels its streams, so a local CANCELED counts too
 * (the caller's own cancellation is checked before this is asked).
 */
export function isTransportFailure(err: ConnectError): boolean {
  if (err.isWireError) return err.code === Code.Unavailable;
  return [Code.Unavailable, Code.Aborted, Code.Internal, Code.Canceled].includes(err.code);
}

/** Whether a failed attempt of `method` may be tried again (the caller has not cancelled). */
export function isRetryable(method: DescMethod, err: ConnectError): boolean {
  if (err.code === Code.DeadlineExceeded) return false;
  if (wasNotSent(err)) return true;
  // A read may have been processed; repeating it changes nothing.
  return method.idempotency === Idempotency.NO_SIDE_EFFECTS && isTransportFailure(err);
}

/** Exponential backoff with full jitter: a random wait up to initial * 2^(retry-1), capped. */
export function backoffMs(retry: number, options: RetryOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxBackoffMs, options.initialBackoffMs * 2 ** (retry - 1));
  return Math.round(ceiling * random());
}

/** gRPC retry throttling: each failure takes a token, each success returns tokenRatio; retry only above half. */
export class RetryBudget {
  readonly #max: number;
  readonly #ratio: number;
  #tokens: number;
  /** Retries refused because the budget was spent. */
  exhausted = 0;

  constructor(options: Pick<RetryOptions, "budgetTokens" | "budgetTokenRatio">) {
    this.#max = options.budgetTokens;
    this.#ratio = options.budgetTokenRatio;
    this.#tokens = options.budgetTokens;
  }

  get tokens(): number {
    return this.#tokens;
  }

  onSuccess(): void {
    this.#tokens = Math.min(this.#max, this.#tokens + this.#ratio);
  }

  onFailure(): void {
    this.#tokens = Math.max(0, this.#tokens - 1);
  }

  /** True when a retry may be sent now. */
  allowRetry(): boolean {
    if (this.#tokens > this.#max / 2) return true;
    this.exhausted++;
    return false;
  }
}
