// Adds a handful of beers with fixed ids, each with its "added" event, so
// watchers see the seed like any other change. A beer is seeded once: its
// request id stays in the feed, so one removed later is not added back at the
// next start, and a name someone already took is left alone.
import type { Kysely } from "kysely";
import { findAddedEventByRequestId } from "./events.js";
import * as repo from "./repository.js";
import type { BeerDatabase } from "./schema.js";

export const SEED_BEERS = [
  { id: "01900000-0000-7000-8000-0000000000b1", name: "Duff", style: "Lager", abv: 4.5 },
  { id: "01900000-0000-7000-8000-0000000000b2", name: "Duff Dry", style: "Lager", abv: 4.0 },
  { id: "01900000-0000-7000-8000-0000000000b3", name: "Fudd", style: "Pale Ale", abv: 5.0 },
  { id: "01900000-0000-7000-8000-0000000000b4", name: "Red Tick", style: "Amber Ale", abv: 5.5 },
  { id: "01900000-0000-7000-8000-0000000000b5", name: "Skittlebrau", style: "Fruit Beer", abv: null },
] as const;

export async function seedBeers(db: Kysely<BeerDatabase>): Promise<void> {
  for (const beer of SEED_BEERS) {
    const requestId = `seed:${beer.id}`;
    if ((await findAddedEventByRequestId(db, requestId)) !== undefined) continue;
    // A conflict means another replica seeded it first, or the name is taken: either way, nothing to do.
    await repo.addBeer(db, { ...beer }, { requestId, requestHash: "seed" });
  }
}
