// Frozen in time: this migration imports no application code.
import { type Kysely, sql } from "kysely";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("point_entries")
    .addColumn("id", "uuid", (c) => c.primaryKey())
    .addColumn("user_id", "uuid", (c) => c.notNull())
    .addColumn("delta", "bigint", (c) => c.notNull().check(sql`delta <> 0`))
    .addColumn("reason", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("request_id", "text", (c) => c.unique())
    .addColumn("request_hash", "text")
    .addColumn("balance_after", "bigint", (c) => c.notNull())
    .addColumn("created_at", sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("point_entries_user_id_idx").on("point_entries").columns(["user_id", "id"]).execute();
  await db.schema
    .createTable("point_balances")
    .addColumn("user_id", "uuid", (c) => c.primaryKey())
    .addColumn("points", "bigint", (c) => c.notNull().check(sql`points >= 0`))
    .addColumn("updated_at", sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("point_balances_top_idx").on("point_balances").columns(["points desc", "user_id"]).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("point_balances").execute();
  await db.schema.dropTable("point_entries").execute();
}
