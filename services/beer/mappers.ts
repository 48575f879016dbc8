// Row -> message mapping for beers and their events.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Beer, type BeerEvent, BeerEventSchema, BeerEventType, BeerSchema } from "../../gen/mesh/beer/v1/beer_pb.js";
import { toBigInt } from "../platform/database.js";
import { cursorOf } from "./requests.js";
import type { BeerEventRow, BeerEventType as EventType, BeerRow } from "./schema.js";

const EVENT_TYPES: Readonly<Record<EventType, BeerEventType>> = {
  added: BeerEventType.ADDED,
  renamed: BeerEventType.RENAMED,
  removed: BeerEventType.REMOVED,
};

export function beerRowToMessage(row: BeerRow): Beer {
  return create(BeerSchema, {
    id: row.id,
    name: row.name,
    style: row.style,
    abv: row.abv ?? undefined,
    createTime: timestampFromDate(row.created_at),
    updateTime: timestampFromDate(row.updated_at),
  });
}

/** The beer as an event recorded it. */
export function eventRowToBeer(row: BeerEventRow): Beer {
  return beerRowToMessage({
    id: row.beer_id,
    name: row.name,
    style: row.style,
    abv: row.abv,
    created_at: row.beer_created_at,
    updated_at: row.beer_updated_at,
  });
}

export function eventRowToMessage(row: BeerEventRow): BeerEvent {
  return create(BeerEventSchema, {
    cursor: cursorOf(toBigInt(row.seq)),
    type: EVENT_TYPES[row.type],
    beer: eventRowToBeer(row),
    previousName: row.previous_name,
    eventTime: timestampFromDate(row.created_at),
  });
}
