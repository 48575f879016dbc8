// Domain counters of the beer service, in the process's registry.
import type { Observability } from "../platform/observability.js";

export interface BeerMetrics {
  /** AddBeer inserted a beer (not an idempotent replay). */
  beerAdded(): void;
  /** RemoveBeer deleted a beer. */
  beerRemoved(): void;
}

export function createBeerMetrics(observability: Pick<Observability, "counter">): BeerMetrics {
  const added = observability.counter("mesh_beers_added_total", "Beers inserted by AddBeer (idempotent replays excluded).");
  const removed = observability.counter("mesh_beers_removed_total", "Beers deleted by RemoveBeer.");
  return {
    beerAdded: () => added.inc(),
    beerRemoved: () => removed.inc(),
  };
}
