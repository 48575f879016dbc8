// Kysely queries of the point ledger. Knows nothing of protobuf or RPC errors.
import { type Kysely, sql } from "kysely";
import { toBigInt, uniqueViolation } from "../platform/database.js";
import type { NewPointEntry, PointDatabase, PointEntryRow } from "./schema.js";

type Db = Kysely<PointDatabase>;

export type AddResult =
  | { ok: true; entry: PointEntryRow; points: bigint }
  | { ok: false; reason: "insufficient_points" | "request_id_taken" };

class InsufficientPoints extends Error {}

export async function findEntryByRequestId(db: Db, requestId: string): Promise<PointEntryRow | undefined> {
  return db.selectFrom("point_entries").selectAll().where("request_id", "=", requestId).executeTakeFirst();
}

/**
 * Appends an entry and moves the balance in one transaction. The balance row
 * is updated in place (row lock), so concurrent entries for a user serialise
 * and the balance always equals the sum of the entries.
 */
export async function addEntry(db: Db, entry: NewPointEntry): Promise<AddResult> {
  const delta = toBigInt(entry.delta);
  try {
    return await db.transaction().execute(async (trx) => {
      // Update in place first: the CHECK (points >= 0) rejects an overdraft.
      // Only a user without a balance row takes the insert, where a negative
      // delta is an overdraft too (an INSERT is checked before ON CONFLICT).
      let balance = await trx
        .updateTable("point_balances")
        .set({ points: sql<bigint>`points + ${delta}`, updated_at: new Date() })
        .where("user_id", "=", entry.user_id)
        .returning("points")
        .executeTakeFirst();
      if (balance === undefined) {
        if (delta < 0n) throw new InsufficientPoints();
        balance = await trx
          .insertInto("point_balances")
          .values({ user_id: entry.user_id, points: delta })
          .onConflict((oc) =>
            oc.column("user_id").doUpdateSet((eb) => ({
              points: eb("point_balances.points", "+", eb.ref("excluded.points")),
              updated_at: new Date(),
            })),
          )
          .returning("points")
          .executeTakeFirstOrThrow();
      }
      const points = toBigInt(balance.points);
      const row = await trx
        .insertInto("point_entries")
        .values({ ...entry, balance_after: points })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { ok: true as const, entry: row, points };
    });
  } catch (err) {
    if (err instanceof InsufficientPoints || (err as { code?: string }).code === "23514") {
      return { ok: false, reason: "insufficient_points" };
    }
    if (uniqueViolation(err) === "point_entries_request_id_key") return { ok: false, reason: "request_id_taken" };
    throw err;
  }
}

/** Balances of the given users; users without entries are absent. */
export async function findBalances(db: Db, userIds: readonly string[]): Promise<Map<string, bigint>> {
  if (userIds.length === 0) return new Map();
  const rows = await db
    .selectFrom("point_balances")
    .select(["user_id", "points"])
    .where("user_id", "in", userIds)
    .execute();
  return new Map(rows.map((r) => [r.user_id, toBigInt(r.points)]));
}

export async function listTopBalances(db: Db, limit: number): Promise<Array<{ userId: string; points: bigint }>> {
  const rows = await db
    .selectFrom("point_balances")
    .select(["user_id", "points"])
    .orderBy("points", "desc")
    .orderBy("user_id", "asc")
    .limit(limit)
    .execute();
  return rows.map((r) => ({ userId: r.user_id, points: toBigInt(r.points) }));
}
