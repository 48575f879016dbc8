// The values a call carries from the server (the caller's address) to its
// interceptors and handler. Connect's createContextValues() returns an object
// literal with three methods of its own, three closures made for every call;
// this class behaves the same (each value stored on the object under its key's
// symbol, the key's default when absent) with its methods on the prototype.
import type { ContextKey, ContextValues } from "@connectrpc/connect";

type Store = Record<symbol, unknown>;

export class CallValues implements ContextValues {
  get<T>(key: ContextKey<T>): T {
    return key.id in this ? ((this as unknown as Store)[key.id] as T) : key.defaultValue;
  }

  set<T>(key: ContextKey<T>, value: T): this {
    (this as unknown as Store)[key.id] = value;
    return this;
  }

  delete(key: ContextKey<unknown>): this {
    delete (this as unknown as Store)[key.id];
    return this;
  }
}
