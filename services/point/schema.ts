// Table types of the point database (Kysely): an append-only ledger and a
// per-user balance kept in the same transaction as each entry.
import type { ColumnType, Insertable, Selectable } from "kysely";

/** bigint columns: written as bigint, read as string (node-postgres) or number (PGlite). */
type BigIntColumn = ColumnType<string | number | bigint, bigint, bigint>;

export interface PointEntryTable {
  id: string;
  user_id: string;
  delta: BigIntColumn;
  reason: string;
  /** Idempotency key of the AddPoints call that made the entry. */
  request_id: string | null;
  request_hash: string | null;
  /** The user's balance right after this entry: a retry answers with it. */
  balance_after: BigIntColumn;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export interface PointBalanceTable {
  user_id: string;
  /** The sum of the user's entries; never negative. */
  points: BigIntColumn;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface PointDatabase {
  point_entries: PointEntryTable;
  point_balances: PointBalanceTable;
}

export type PointEntryRow = Selectable<PointEntryTable>;
export type NewPointEntry = Omit<Insertable<PointEntryTable>, "balance_after">;
