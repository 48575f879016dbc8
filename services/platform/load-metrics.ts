// The server's load as metrics: calls in flight under MAX_CONCURRENT_RPCS and
// calls refused for it (they never reach the interceptors, so grpc_server_*
// does not count them). Read from the server at each scrape.
import { Counter, Gauge, type Registry } from "prom-client";

export function exportServerLoad(registry: Registry, load: () => { inFlight: number; shed: number }): void {
  new Gauge({
    name: "grpc_server_in_flight_rpcs",
    help: "RPCs being served now and counted against MAX_CONCURRENT_RPCS (health and reflection not counted).",
    registers: [registry],
    collect() {
      this.set(load().inFlight);
    },
  });
  new Counter({
    name: "grpc_server_shed_total",
    help: "RPCs refused with RESOURCE_EXHAUSTED, before their body was read, because MAX_CONCURRENT_RPCS were being served.",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(load().shed);
    },
  });
}
