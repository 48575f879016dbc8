// Runs client interceptors around any Transport, so observability can wrap a
// transport it did not build (an upstream's, or a balancing one that delegates
// each call to a per-endpoint transport) and see each logical call once.
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { createContextValues, type Interceptor, type StreamRequest, type Transport, type UnaryRequest } from "@connectrpc/connect";

type Next = Parameters<Interceptor>[0];

/**
 * A Transport that runs `interceptors` (the first outermost) and then
 * `transport`. `baseUrl` only fills the request's url for the interceptors
 * (e.g. http://point:50052); the inner transport still builds its own.
 */
export function interceptTransport(transport: Transport, interceptors: readonly Interceptor[], baseUrl: string): Transport {
  if (interceptors.length === 0) return transport;
  // Requests need a signal; one that never aborts stands in when the caller gave none.
  const neverAborted = new AbortController().signal;
  const chain = (timeoutMs: number | undefined): Next => {
    const call: Next = (req) =>
      req.stream
        ? transport.stream(req.method, req.signal, timeoutMs, req.header, req.message, req.contextValues)
        : transport.unary(req.method, req.signal, timeoutMs, req.header, req.message, req.contextValues);
    return interceptors.reduceRight<Next>((inner, interceptor) => interceptor(inner), call);
  };
  const common = (method: UnaryRequest["method"] | StreamRequest["method"], signal: AbortSignal | undefined, header: ConstructorParameters<typeof Headers>[0]) => ({
    service: method.parent,
    requestMethod: "POST",
    url: `${baseUrl}/${method.parent.typeName}/${method.name}`,
    signal: signal ?? neverAborted,
    header: new Headers(header),
  });
  return {
    async unary(method, signal, timeoutMs, header, input, contextValues) {
      const req: UnaryRequest = {
        ...common(method, signal, header),
        stream: false,
        method: method as unknown as UnaryRequest["method"],
        // The inner transport normalises an init shape into a message itself.
        message: input as MessageShape<DescMessage>,
        contextValues: contextValues ?? createContextValues(),
      };
      return (await chain(timeoutMs)(req)) as never;
    },
    async stream(method, signal, timeoutMs, header, input, contextValues) {
      const req: StreamRequest = {
        ...common(method, signal, header),
        stream: true,
        method: method as unknown as StreamRequest["method"],
        message: input as AsyncIterable<MessageShape<DescMessage>>,
        contextValues: contextValues ?? createContextValues(),
      };
      return (await chain(timeoutMs)(req)) as never;
    },
  };
}
