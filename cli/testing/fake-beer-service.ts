// An in-memory BeerService for the CLI tests until the real one lands: the
// contract's behaviour (validation with field violations, unique names without
// regard to case, NOT_FOUND, paging, an ordered event feed with cursors and live
// events), not its storage. Errors come from the platform's own helpers, so
// they have the real services' shape.
import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { BeerEventSchema, BeerEventType, BeerSchema, type Beer, type BeerEvent, BeerService } from "../../gen/mesh/beer/v1/beer_pb.js";
import { alreadyExists, notFound } from "../../services/platform/errors.js";
import { newId } from "../../services/platform/ids.js";
import { Violations } from "../../services/platform/validation.js";

export function fakeBeerService(): Partial<ServiceImpl<typeof BeerService>> {
  const beers = new Map<string, Beer>();
  const events: BeerEvent[] = [];
  const listeners = new Set<() => void>();

  function record(type: BeerEventType, beer: Beer, previousName = ""): void {
    events.push(create(BeerEventSchema, { cursor: String(events.length + 1), type, beer, previousName, eventTime: timestampNow() }));
    for (const wake of listeners) wake();
  }

  function find(id: string): Beer {
    const v = new Violations();
    v.id("id", id);
    v.throwIfAny();
    const beer = beers.get(id);
    if (beer === undefined) throw notFound("beer", id);
    return beer;
  }

  return {
    addBeer(req) {
      const v = new Violations();
      const name = v.text("name", req.name, 1, 100);
      const style = v.text("style", req.style, 0, 100);
      if (req.abv !== undefined && !(req.abv >= 0 && req.abv <= 70)) v.add("abv", "must be a number from 0 to 70");
      v.throwIfAny();
      if ([...beers.values()].some((b) => b.name.toLowerCase() === name.toLowerCase())) throw alreadyExists("beer", "name", name);
      const now = timestampNow();
      const beer = create(BeerSchema, { id: newId(), name, style, abv: req.abv, createTime: now, updateTime: now });
      beers.set(beer.id, beer);
      record(BeerEventType.ADDED, beer);
      return { beer };
    },
    removeBeer(req) {
      const beer = find(req.id);
      beers.delete(beer.id);
      record(BeerEventType.REMOVED, beer);
      return { beer };
    },
    renameBeer(req) {
      const beer = find(req.id);
      const previousName = beer.name;
      const renamed = create(BeerSchema, { ...beer, name: req.name.trim(), updateTime: timestampNow() });
      beers.set(beer.id, renamed);
      record(BeerEventType.RENAMED, renamed, previousName);
      return { beer: renamed };
    },
    listBeers(req) {
      const matching = [...beers.values()].filter((b) => b.name.toLowerCase().includes(req.nameContains.toLowerCase()));
      const offset = req.pageToken === "" ? 0 : Number(req.pageToken);
      const size = req.pageSize === 0 ? 50 : req.pageSize;
      const page = matching.slice(offset, offset + size);
      const next = offset + size < matching.length ? String(offset + size) : "";
      return { beers: page, nextPageToken: next, totalSize: matching.length };
    },
    async *watchBeerEvents(req, ctx) {
      let position = req.afterCursor === "" ? 0 : Number(req.afterCursor);
      let wake: (() => void) | undefined;
      const listener = () => wake?.();
      listeners.add(listener);
      ctx.signal.addEventListener("abort", listener);
      try {
        while (!ctx.signal.aborted) {
          while (position < events.length) yield { event: events[position++] };
          await new Promise<void>((resolve) => {
            wake = resolve;
            if (position < events.length || ctx.signal.aborted) resolve();
          });
        }
      } finally {
        listeners.delete(listener);
        ctx.signal.removeEventListener("abort", listener);
      }
    },
  };
}
