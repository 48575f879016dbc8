// BeerService handlers: validation, mapping and codes. SQL lives in repository.ts and events.ts.
import type { ServiceImpl } from "@connectrpc/connect";
import type { Kysely } from "kysely";
import type { BeerService } from "../../gen/mesh/beer/v1/beer_pb.js";
import { alreadyExists, invalidArgument, notFound } from "../platform/errors.js";
import { newId } from "../platform/ids.js";
import type { EventHub } from "./event-hub.js";
import { findAddedEventByRequestId } from "./events.js";
import { beerRowToMessage, eventRowToBeer } from "./mappers.js";
import * as repo from "./repository.js";
import { nextPageToken, parseAddRequest, parseId, parseListRequest, parseRenameRequest, type AddParams } from "./requests.js";
import type { BeerMetrics } from "./metrics.js";
import type { BeerDatabase, BeerEventRow, BeerRow } from "./schema.js";
import { watchBeerEvents } from "./watch.js";

export interface BeerServiceDeps {
  readonly db: Kysely<BeerDatabase>;
  /** Wakes WatchBeerEvents streams when events commit. */
  readonly hub: EventHub;
  /** Aborted when the server begins to stop: WatchBeerEvents streams end on it. */
  readonly stopping: AbortSignal;
  /** Domain counters; absent in tests that do not read them. */
  readonly metrics?: BeerMetrics;
}

export function createBeerService(deps: BeerServiceDeps): ServiceImpl<typeof BeerService> {
  const { db } = deps;

  async function requireBeer(id: string): Promise<BeerRow> {
    const row = await repo.findBeerById(db, id);
    if (row === undefined) throw notFound("beer", id);
    return row;
  }

  /**
   * The answer of an earlier AddBeer with the same request id: the beer as it
   * was added, even if it has since been renamed or removed (the key stays
   * with the event, so a late retry never adds the beer a second time).
   */
  async function replay(params: AddParams): Promise<BeerEventRow | undefined> {
    if (params.requestId === null) return undefined;
    const earlier = await findAddedEventByRequestId(db, params.requestId);
    if (earlier !== undefined && earlier.request_hash !== params.requestHash) {
      throw invalidArgument([{ field: "request_id", description: "was already used for a different request" }]);
    }
    return earlier;
  }

  return {
    async addBeer(req) {
      const params = parseAddRequest(req);
      const earlier = await replay(params);
      if (earlier !== undefined) return { beer: eventRowToBeer(earlier) };
      const result = await repo.addBeer(
        db,
        { id: newId(), name: params.name, style: params.style, abv: params.abv },
        params.requestId === null ? null : { requestId: params.requestId, requestHash: params.requestHash },
      );
      if (result.ok) {
        deps.metrics?.beerAdded();
        return { beer: beerRowToMessage(result.row) };
      }
      // A concurrent retry may have won the race (its row breaks the name
      // constraint before the request id one): answer as it did.
      const winner = await replay(params);
      if (winner !== undefined) return { beer: eventRowToBeer(winner) };
      if (result.conflict === "request_id") throw new Error("request id conflict without an added event");
      throw alreadyExists("beer", "name", params.name);
    },

    async removeBeer(req) {
      const id = parseId("id", req.id);
      const row = await repo.removeBeer(db, id);
      if (row === undefined) throw notFound("beer", id);
      deps.metrics?.beerRemoved();
      return { beer: beerRowToMessage(row) };
    },

    async getBeer(req) {
      return { beer: beerRowToMessage(await requireBeer(parseId("id", req.id))) };
    },

    async listBeers(req) {
      const params = parseListRequest(req);
      const [page, totalSize] = await Promise.all([repo.listBeers(db, params.filter, params.page), repo.countBeers(db, params.filter)]);
      return { beers: page.rows.map(beerRowToMessage), nextPageToken: nextPageToken(params, page), totalSize };
    },

    async renameBeer(req) {
      const { id, name } = parseRenameRequest(req);
      const result = await repo.renameBeer(db, id, name);
      if (result === undefined) throw notFound("beer", id);
      if (!result.ok) throw alreadyExists("beer", "name", name);
      return { beer: beerRowToMessage(result.row) };
    },

    watchBeerEvents: (req, ctx) => watchBeerEvents(deps, req, ctx),
  };
}
