// Kysely queries of the beer change feed (the outbox). Knows nothing of protobuf or RPC errors.
//
// Ordering: a watcher reads "seq > last seen" and must never skip an event. An
// identity value is taken when the row is inserted, not when it commits, so
// two concurrent writers could commit seq 11 before seq 10; a watcher that
// read 11 and moved its cursor past 10 would miss 10 for ever. We close that
// gap at the source: every writer takes one transaction-scoped advisory lock
// right before inserting its event, as the last statement before commit, so
// sequence numbers are handed out in commit order and the committed events
// always form a gap-free prefix of the sequence (holes left by rolled-back
// transactions are never filled later). Readers need no lag window or
// snapshot arithmetic. The cost is that event inserts of this schema run one
// at a time, for the few milliseconds between the insert and the commit: fine
// for a catalogue that changes at human speed. (Rejected: re-reading with a
// time lag, which is a guess; and xid/snapshot bookkeeping, which is exact but
// much harder to read.)
import { type Kysely, sql, type Transaction } from "kysely";
import { toBigInt } from "../platform/database.js";
import type { BeerDatabase, BeerEventRow, BeerEventType, BeerRow } from "./schema.js";

type Db = Kysely<BeerDatabase>;

/** The NOTIFY channel that wakes watchers; the payload is empty (watchers read the table). */
export const BEER_EVENTS_CHANNEL = "beer_events";

export interface EventInput {
  readonly type: BeerEventType;
  /** The beer after the change, or as it was for "removed". */
  readonly beer: BeerRow;
  readonly previousName?: string;
  readonly requestId?: string | null;
  readonly requestHash?: string | null;
}

/** Appends an event inside the caller's transaction; call it last, just before commit. */
export async function appendEvent(trx: Transaction<BeerDatabase>, input: EventInput): Promise<BeerEventRow> {
  // Held until commit: see the ordering note at the top of this file. Keyed by
  // schema so that separate deployments (or test suites) in one database do not wait on each other.
  await sql`select pg_advisory_xact_lock(hashtextextended(current_schema() || '.beer_events', 0))`.execute(trx);
  const { beer } = input;
  const row = await trx
    .insertInto("beer_events")
    .values({
      type: input.type,
      beer_id: beer.id,
      name: beer.name,
      style: beer.style,
      abv: beer.abv,
      beer_created_at: beer.created_at,
      beer_updated_at: beer.updated_at,
      previous_name: input.previousName ?? "",
      request_id: input.requestId ?? null,
      request_hash: input.requestHash ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  // Delivered at commit, and only if the transaction commits.
  await sql`select pg_notify(${BEER_EVENTS_CHANNEL}, '')`.execute(trx);
  return row;
}

/** Committed events after `after`, in order. */
export async function readEventsAfter(db: Db, after: bigint, limit: number): Promise<BeerEventRow[]> {
  return db
    .selectFrom("beer_events")
    .selectAll()
    .where("seq", ">", after.toString())
    .orderBy("seq")
    .limit(limit)
    .execute();
}

/** The sequence number of the last committed event; 0 when there is none. */
export async function latestEventSeq(db: Db): Promise<bigint> {
  const row = await db
    .selectFrom("beer_events")
    .select((eb) => eb.fn.coalesce(eb.fn.max("seq"), sql<number>`0`).as("seq"))
    .executeTakeFirstOrThrow();
  return toBigInt(row.seq);
}

export async function findAddedEventByRequestId(db: Db, requestId: string): Promise<BeerEventRow | undefined> {
  return db
    .selectFrom("beer_events")
    .selectAll()
    .where("request_id", "=", requestId)
    .where("type", "=", "added")
    .executeTakeFirst();
}
