// When a call ends, however it ends, without making its AbortSignal. Connect's
// handler context offers only the signal; reading it on the fast path builds an
// AbortController, and aborting it dispatches an Event, for every call. The
// request gate needs to know when each call ends (to free its concurrency slot,
// to correct the code of an error about to be written), so the fast path's
// contexts carry a cheaper hook; contexts made by connect-node fall back to the
// signal. The reason is the one the signal aborts with.
import type { HandlerContext } from "@connectrpc/connect";

/** What a fast-path handler context carries under kCallEnd. */
export interface CallEnd {
  /** True once the call has ended: answered, failed, cancelled or out of time. */
  readonly ended: boolean;
  /** Runs `fn` with the reason the call ended with, once it ends (at once when it has). Synchronous, like an abort listener. */
  onEnd(fn: (reason: unknown) => void): void;
}

export const kCallEnd = Symbol("grpc-mesh call end");

type WithCallEnd = HandlerContext & { readonly [kCallEnd]?: CallEnd };

export function callEnded(context: HandlerContext): boolean {
  return (context as WithCallEnd)[kCallEnd]?.ended ?? context.signal.aborted;
}

export function onCallEnd(context: HandlerContext, fn: (reason: unknown) => void): void {
  const own = (context as WithCallEnd)[kCallEnd];
  if (own !== undefined) return own.onEnd(fn);
  const { signal } = context;
  if (signal.aborted) fn(signal.reason);
  else signal.addEventListener("abort", () => fn(signal.reason), { once: true });
}
