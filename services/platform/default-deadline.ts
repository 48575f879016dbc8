// A deadline for unary calls that arrive without one. Connect builds the
// handler context from the request's timeout header and an interceptor cannot
// replace it, so the handlers themselves are wrapped: a call without a deadline
// runs with a context whose signal aborts, and whose timeoutMs() counts down,
// as if the client had sent the default. Upstream calls (upstreamCallOptions)
// and anything else that follows ctx.signal and ctx.timeoutMs() see it.
// The fast path (fast/adapter.ts) applies the default itself, at a fraction of
// the cost: its calls reach the wrapper with a deadline and pass straight on.
import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";

type AnyHandler = (request: unknown, context: HandlerContext) => unknown;

/**
 * Returns `impl` with every unary method wrapped in the default deadline.
 * Streaming methods are left as they are: a watch may rightly run for hours.
 */
export function withDefaultDeadline<S extends DescService>(
  service: S,
  impl: Partial<ServiceImpl<S>>,
  defaultDeadlineMs: number,
): Partial<ServiceImpl<S>> {
  if (defaultDeadlineMs <= 0) return impl;
  const methods = impl as Record<string, AnyHandler | undefined>;
  const wrapped: Record<string, AnyHandler> = {};
  for (const method of service.methods) {
    const fn = methods[method.localName];
    if (typeof fn !== "function") continue;
    const bound = fn.bind(impl);
    // A call with a deadline (every call the fast path serves has one) goes straight to the handler.
    wrapped[method.localName] =
      method.methodKind === "unary"
        ? (req, ctx) => (ctx.timeoutMs() !== undefined ? bound(req, ctx) : runWithDeadline(ctx, defaultDeadlineMs, (c) => bound(req, c)))
        : bound;
  }
  return wrapped as Partial<ServiceImpl<S>>;
}

/** Runs `run` with ctx when the call has a deadline, else with ctx under a deadline of `ms`. */
export async function runWithDeadline<T>(ctx: HandlerContext, ms: number, run: (ctx: HandlerContext) => T | Promise<T>): Promise<T> {
  if (ctx.timeoutMs() !== undefined) return run(ctx);
  const deadline = Date.now() + ms;
  const timer = new AbortController();
  const expired = new Promise<never>((_, reject) => {
    timer.signal.addEventListener("abort", () => reject(timer.signal.reason), { once: true });
  });
  const timeout = setTimeout(() => timer.abort(defaultDeadlineExceeded(ms)), ms);
  try {
    const inner: HandlerContext = { ...ctx, signal: AbortSignal.any([ctx.signal, timer.signal]), timeoutMs: () => deadline - Date.now() };
    // Raced, so that a handler which ignores its signal still answers at the deadline.
    return await Promise.race([Promise.resolve(run(inner)), expired]);
  } finally {
    clearTimeout(timeout);
  }
}

/** The error of a call that came without a deadline and outlived the server's default. */
export function defaultDeadlineExceeded(ms: number): ConnectError {
  return new ConnectError(`the call gave no deadline and ran past the server's default of ${ms} ms`, Code.DeadlineExceeded);
}
