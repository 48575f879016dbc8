// The unary methods the fast path may serve, read from the same `routes`
// function connect-node is given: a router that records each service's
// implementation instead of building Connect's protocol handlers.
import type { DescMessage, DescMethod, DescMethodUnary, DescService } from "@bufbuild/protobuf";
import {
  createMethodImplSpec,
  createServiceImplSpec,
  type ConnectRouter,
  type Interceptor,
  type MethodImpl,
  type ServiceImpl,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { createMethodSerializationLookup, type MethodSerializationLookup } from "@connectrpc/connect/protocol";
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";

type UnaryFn = (req: UnaryRequest) => Promise<UnaryResponse>;

export interface FastMethod {
  readonly service: DescService;
  readonly method: DescMethodUnary;
  readonly serialization: MethodSerializationLookup<DescMessage, DescMessage>;
  /** The interceptors around the implementation, built once. */
  readonly invoke: UnaryFn;
}

/** How the innermost function of `invoke` runs the implementation for one call. */
export type RunImplementation = (
  method: DescMethodUnary,
  impl: (message: never, context: never) => unknown,
  req: UnaryRequest,
) => Promise<UnaryResponse>;

/**
 * Records every unary method that `routes` mounts with the router-wide options
 * only; methods mounted with options of their own, and every streaming method,
 * are left to connect-node. Keys are request paths (`/pkg.Service/Method`).
 */
export function readMethodTable(options: ConnectNodeAdapterOptions, run: RunImplementation): Map<string, FastMethod> {
  const table = new Map<string, FastMethod>();
  const interceptors: Interceptor[] = options.interceptors ?? [];
  const limits = { readMaxBytes: options.readMaxBytes ?? 0xffffffff, writeMaxBytes: options.writeMaxBytes ?? 0xffffffff };
  const prefix = options.requestPathPrefix ?? "";
  const add = (desc: DescMethod, impl: (message: never, context: never) => unknown) => {
    if (desc.methodKind !== "unary") return;
    const method = desc as DescMethodUnary;
    const inner: UnaryFn = (req) => run(method, impl, req);
    let invoke = inner;
    for (let i = interceptors.length - 1; i >= 0; i--) invoke = (interceptors[i] as Interceptor)(invoke as never) as never;
    table.set(`${prefix}/${method.parent.typeName}/${method.name}`, {
      service: method.parent,
      method,
      serialization: createMethodSerializationLookup(method, options.binaryOptions, options.jsonOptions, limits),
      invoke,
    });
  };
  const router: ConnectRouter = {
    handlers: [],
    service<T extends DescService>(service: T, implementation: Partial<ServiceImpl<T>>, serviceOptions?: object) {
      if (serviceOptions !== undefined) return router;
      const spec = createServiceImplSpec(service, implementation);
      for (const m of Object.values(spec.methods)) add(m.method, m.impl as never);
      return router;
    },
    rpc<M extends DescMethod>(method: M, impl: MethodImpl<M>, rpcOptions?: object) {
      if (rpcOptions !== undefined) return router;
      const spec = createMethodImplSpec(method, impl);
      add(spec.method, spec.impl as never);
      return router;
    },
  };
  options.routes(router);
  return table;
}
