// grpc.health.v1.Health: Check, Watch and List over a registry of statuses,
// one per service name plus "" for the whole server.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import {
  Health,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
  type HealthCheckResponse,
} from "../../gen/grpc/health/v1/health_pb.js";

export { ServingStatus };

type Listener = (status: ServingStatus) => void;

export class HealthRegistry {
  readonly #statuses = new Map<string, ServingStatus>();
  readonly #listeners = new Map<string, Set<Listener>>();

  /** Sets one service's status ("" is the whole server) and tells its watchers. */
  set(service: string, status: ServingStatus): void {
    if (this.#statuses.get(service) === status) return;
    this.#statuses.set(service, status);
    for (const listener of this.#listeners.get(service) ?? []) listener(status);
  }

  /** Sets every registered service, and the server, to one status. */
  setAll(status: ServingStatus): void {
    for (const service of [...this.#statuses.keys()]) this.set(service, status);
  }

  get(service: string): ServingStatus | undefined {
    return this.#statuses.get(service);
  }

  entries(): ReadonlyMap<string, ServingStatus> {
    return new Map(this.#statuses);
  }

  /** Calls listener on every change of service's status until the returned function is called. */
  subscribe(service: string, listener: Listener): () => void {
    let set = this.#listeners.get(service);
    if (set === undefined) this.#listeners.set(service, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }
}

function response(status: ServingStatus): HealthCheckResponse {
  return create(HealthCheckResponseSchema, { status });
}

/**
 * Registers grpc.health.v1.Health. Watch streams end when `stopping` aborts,
 * after sending the last status, so they never hold a draining server open.
 */
export function registerHealth(router: ConnectRouter, registry: HealthRegistry, stopping: AbortSignal): void {
  router.service(Health, {
    check(req) {
      const status = registry.get(req.service);
      if (status === undefined) throw new ConnectError(`unknown service "${req.service}"`, Code.NotFound);
      return response(status);
    },
    list() {
      const statuses: Record<string, HealthCheckResponse> = {};
      for (const [service, status] of registry.entries()) statuses[service] = response(status);
      return { statuses };
    },
    async *watch(req, ctx) {
      const queue: ServingStatus[] = [registry.get(req.service) ?? ServingStatus.SERVICE_UNKNOWN];
      let wake: (() => void) | undefined;
      const unsubscribe = registry.subscribe(req.service, (status) => {
        queue.push(status);
        wake?.();
      });
      const onAbort = () => wake?.();
      ctx.signal.addEventListener("abort", onAbort);
      stopping.addEventListener("abort", onAbort);
      try {
        let last: ServingStatus | undefined;
        for (;;) {
          for (let status = queue.shift(); status !== undefined; status = queue.shift()) {
            if (status !== last) yield response(status);
            last = status;
          }
          if (ctx.signal.aborted || stopping.aborted) return;
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      } finally {
        unsubscribe();
        ctx.signal.removeEventListener("abort", onAbort);
        stopping.removeEventListener("abort", onAbort);
      }
    },
  });
}
