// Table types of the beer database (Kysely): the catalogue, and its change
// feed written in the same transaction as each change (an outbox).
import type { ColumnType, Insertable, Selectable } from "kysely";

export interface BeerTable {
  id: string;
  /** Unique without regard to case (a unique index on lower(name)). */
  name: string;
  /** "" when unknown. */
  style: string;
  /** Percent, 0-70; null when unknown. */
  abv: number | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export type BeerEventType = "added" | "renamed" | "removed";

export interface BeerEventTable {
  /** Identity: assigned by the database, increasing; the feed's cursor. int8 reads as string (pg) or number (PGlite). */
  seq: ColumnType<string | number | bigint, never, never>;
  type: BeerEventType;
  /** Snapshot of the beer after the change (as it was, for "removed"). */
  beer_id: string;
  name: string;
  style: string;
  abv: number | null;
  beer_created_at: Date;
  beer_updated_at: Date;
  /** The name before a rename; "" otherwise. */
  previous_name: string;
  /** Idempotency key of the AddBeer call that made an "added" event; kept after the beer is removed. */
  request_id: string | null;
  /** Hash of that call's content, to reject a reused key with other content. */
  request_hash: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export interface BeerDatabase {
  beers: BeerTable;
  beer_events: BeerEventTable;
}

export type BeerRow = Selectable<BeerTable>;
export type NewBeer = Insertable<BeerTable>;
export type BeerEventRow = Selectable<BeerEventTable>;
export type NewBeerEvent = Insertable<BeerEventTable>;
