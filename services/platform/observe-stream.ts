// Message streams seen by the observing interceptors: each message counted,
// the end reported once, and (when a span is active) every pull made inside
// the span's context so the handler's code and log lines see the span.
import { Code, ConnectError } from "@connectrpc/connect";
import { context as otelContext, type Context } from "@opentelemetry/api";

/** Yields every message of `source`, calling `onMessage` before each. */
export async function* countMessages<T>(source: AsyncIterable<T>, onMessage: () => void): AsyncGenerator<T> {
  for await (const message of source) {
    onMessage();
    yield message;
  }
}

/**
 * Yields every message of `source`, calling `onMessage` before each, and
 * `onEnd` once: with undefined when the stream completes, with the error when
 * it fails, and with CANCELED when the consumer stops reading early.
 */
export async function* observeStream<T>(
  source: AsyncIterable<T>,
  onMessage: () => void,
  onEnd: (code: Code | undefined, err?: ConnectError) => void,
  context?: Context,
): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let ended = false;
  try {
    for (;;) {
      const result = context === undefined ? await iterator.next() : await otelContext.with(context, () => iterator.next());
      if (result.done === true) break;
      onMessage();
      yield result.value;
    }
    ended = true;
    onEnd(undefined);
  } catch (err) {
    const e = ConnectError.from(err);
    ended = true;
    onEnd(e.code, e);
    throw err;
  } finally {
    if (!ended) {
      // The consumer called return(): report it, then let the source clean up too.
      onEnd(Code.Canceled, new ConnectError("stream abandoned by the consumer", Code.Canceled));
      await iterator.return?.();
    }
  }
}
