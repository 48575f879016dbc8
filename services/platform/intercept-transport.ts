// Runs client interceptors around any Transport, so observability can wrap a
// transport it did not build (an upstream's, or a balancing one that delegates
// each call to a per-endpoint transport) and see each logical call once.
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { type Interceptor, type StreamRequest, type Transport, type UnaryRequest } from "@connectrpc/connect";
import { CallValues } from "./context-values.js";

type Next = Parameters<Interceptor>[0];

/**
 * A request that carries its call's timeout (Connect's requests do not): the
 * interceptors copy it along when they spread the request, as they copy
 * everything else. An interceptor that builds a new request object instead
 * must copy timeoutMs too, or the call goes without its deadline.
 */
export interface TimedRequest {
  readonly timeoutMs?: number | undefined;
}

/** The signal of a call whose caller gave none: it never aborts, so nobody needs to listen to it. */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;

/**
 * A Transport that runs `interceptors` (the first outermost) and then
 * `transport`. `baseUrl` only fills the request's url for the interceptors
 * (e.g. http://point:50052); the inner transport still builds its own.
 */
export function interceptTransport(transport: Transport, interceptors: readonly Interceptor[], baseUrl: string): Transport {
  if (interceptors.length === 0) return transport;
  // Built once (Connect's transports build it per call): the call's timeout travels on the request
  // (see TimedRequest), not in a closure per call. An interceptor's per-call state belongs in the
  // function it returns, not in the interceptor's own closure.
  const call: Next = (req) => {
    const timeoutMs = (req as TimedRequest).timeoutMs;
    return req.stream
      ? transport.stream(req.method, req.signal, timeoutMs, req.header, req.message, req.contextValues)
      : transport.unary(req.method, req.signal, timeoutMs, req.header, req.message, req.contextValues);
  };
  const chain = interceptors.reduceRight<Next>((inner, interceptor) => interceptor(inner), call);
  const urls = new Map<object, string>();
  const urlOf = (method: UnaryRequest["method"] | StreamRequest["method"]) => {
    let url = urls.get(method);
    if (url === undefined) urls.set(method, (url = baseUrl + methodPath(method)));
    return url;
  };
  return {
    unary(method, signal, timeoutMs, header, input, contextValues) {
      const req: UnaryRequest & TimedRequest = {
        stream: false,
        service: method.parent,
        method: method as unknown as UnaryRequest["method"],
        requestMethod: "POST",
        url: urlOf(method),
        signal: signal ?? NEVER_ABORTED,
        header: new Headers(header),
        // The inner transport normalises an init shape into a message itself.
        message: input as MessageShape<DescMessage>,
        contextValues: contextValues ?? new CallValues(),
        timeoutMs,
      };
      return run(chain, req) as never;
    },
    stream(method, signal, timeoutMs, header, input, contextValues) {
      const req: StreamRequest & TimedRequest = {
        stream: true,
        service: method.parent,
        method: method as unknown as StreamRequest["method"],
        requestMethod: "POST",
        url: urlOf(method),
        signal: signal ?? NEVER_ABORTED,
        header: new Headers(header),
        message: input as AsyncIterable<MessageShape<DescMessage>>,
        contextValues: contextValues ?? new CallValues(),
        timeoutMs,
      };
      return run(chain, req) as never;
    },
  };
}

const paths = new WeakMap<object, string>();

/** The HTTP path of a method, /package.Service/Method, made once per method. */
export function methodPath(method: { readonly parent: { readonly typeName: string }; readonly name: string }): string {
  let path = paths.get(method);
  if (path === undefined) paths.set(method, (path = `/${method.parent.typeName}/${method.name}`));
  return path;
}

/** Calls `next`, turning a synchronous throw (an interceptor that is not async) into a rejection. */
export function run<R extends Parameters<Next>[0]>(next: (req: R) => ReturnType<Next>, req: R): ReturnType<Next> {
  try {
    return next(req);
  } catch (err) {
    return Promise.reject(err);
  }
}
