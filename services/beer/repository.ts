// Kysely queries of the beer catalogue. Every change appends its event in the
// same transaction (see events.ts). Knows nothing of protobuf or RPC errors.
import { type ExpressionBuilder, type Kysely, type RawBuilder, sql } from "kysely";
import { toNumber, uniqueViolation } from "../platform/database.js";
import type { PageRequest } from "../platform/pagination.js";
import { appendEvent } from "./events.js";
import type { BeerDatabase, BeerRow, NewBeer } from "./schema.js";

type Db = Kysely<BeerDatabase>;

export const BEER_SORT_FIELDS = {
  name: "string",
  abv: "number",
  create_time: "timestamp",
} as const;
export type BeerSortField = keyof typeof BEER_SORT_FIELDS;

/** The sort key of a beer without an ABV: below every real one (0-70), so ABV sorts never meet a null. */
export const UNKNOWN_ABV_SORT_KEY = -1;

const SORT_KEYS: Readonly<Record<BeerSortField, RawBuilder<unknown>>> = {
  name: sql`name`,
  abv: sql`coalesce(abv, ${sql.lit(UNKNOWN_ABV_SORT_KEY)})`,
  create_time: sql`created_at`,
};

export interface BeerFilter {
  readonly nameContains?: string | undefined;
}

export interface BeerPage {
  readonly rows: BeerRow[];
  /** True when rows exist after the last one. */
  readonly hasMore: boolean;
}

export type Conflict = "name" | "request_id";
export type WriteResult = { ok: true; row: BeerRow } | { ok: false; conflict: Conflict };

export interface Idempotency {
  readonly requestId: string;
  readonly requestHash: string;
}

export function sortValue(row: BeerRow, field: BeerSortField): string | number | Date {
  if (field === "name") return row.name;
  if (field === "abv") return row.abv ?? UNKNOWN_ABV_SORT_KEY;
  return row.created_at;
}

function matching(filter: BeerFilter) {
  return (eb: ExpressionBuilder<BeerDatabase, "beers">) =>
    // strpos instead of LIKE: the text is data, never a pattern.
    filter.nameContains ? eb(sql`strpos(lower(name), lower(${filter.nameContains}))`, ">", 0) : eb.and([]);
}

/** A unique violation as a conflict; any other error is rethrown. */
function conflictOf(err: unknown): { ok: false; conflict: Conflict } {
  const constraint = uniqueViolation(err);
  if (constraint === "beers_name_key") return { ok: false, conflict: "name" };
  if (constraint === "beer_events_request_id_key") return { ok: false, conflict: "request_id" };
  throw err;
}

export async function findBeerById(db: Db, id: string): Promise<BeerRow | undefined> {
  return db.selectFrom("beers").selectAll().where("id", "=", id).executeTakeFirst();
}

/** Inserts a beer and its "added" event. The unique index on lower(name) makes concurrent adds of one name serialise: one wins. */
export async function addBeer(db: Db, beer: NewBeer, idempotency: Idempotency | null): Promise<WriteResult> {
  try {
    return await db.transaction().execute(async (trx) => {
      const row = await trx.insertInto("beers").values(beer).returningAll().executeTakeFirstOrThrow();
      await appendEvent(trx, { type: "added", beer: row, ...idempotency });
      return { ok: true as const, row };
    });
  } catch (err) {
    return conflictOf(err);
  }
}

/** Renames a beer; undefined when it does not exist. Renaming to the same name changes nothing and records no event. */
export async function renameBeer(db: Db, id: string, name: string): Promise<WriteResult | undefined> {
  try {
    return await db.transaction().execute(async (trx) => {
      // Locked, so the event's previous_name is the name this update replaced.
      const current = await trx.selectFrom("beers").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
      if (current === undefined) return undefined;
      if (current.name === name) return { ok: true as const, row: current };
      const row = await trx
        .updateTable("beers")
        .set({ name, updated_at: new Date() })
        .where("id", "=", id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await appendEvent(trx, { type: "renamed", beer: row, previousName: current.name });
      return { ok: true as const, row };
    });
  } catch (err) {
    return conflictOf(err);
  }
}

/** Deletes a beer and records it as removed; returns the removed row, or undefined when it did not exist. */
export async function removeBeer(db: Db, id: string): Promise<BeerRow | undefined> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.deleteFrom("beers").where("id", "=", id).returningAll().executeTakeFirst();
    if (row !== undefined) await appendEvent(trx, { type: "removed", beer: row });
    return row;
  });
}

/** One page in (sort key, id) order, after the cursor; reads one extra row to know whether more follow. */
export async function listBeers(db: Db, filter: BeerFilter, page: PageRequest<BeerSortField>): Promise<BeerPage> {
  const key = SORT_KEYS[page.orderBy.field];
  const direction = page.orderBy.direction;
  let query = db.selectFrom("beers").selectAll().where(matching(filter));
  if (page.after !== undefined) {
    const after = page.after;
    // Row comparison: exact keyset semantics, one index range scan.
    query = query.where(sql<boolean>`(${key}, id) ${sql.raw(direction === "asc" ? ">" : "<")} (${after.value}, ${after.id})`);
  }
  const rows = await query
    .orderBy(key, direction)
    .orderBy("id", direction)
    .limit(page.pageSize + 1)
    .execute();
  const hasMore = rows.length > page.pageSize;
  return { rows: hasMore ? rows.slice(0, page.pageSize) : rows, hasMore };
}

export async function countBeers(db: Db, filter: BeerFilter): Promise<number> {
  const { count } = await db
    .selectFrom("beers")
    .where(matching(filter))
    .select((eb) => eb.fn.countAll().as("count"))
    .executeTakeFirstOrThrow();
  return toNumber(count);
}
