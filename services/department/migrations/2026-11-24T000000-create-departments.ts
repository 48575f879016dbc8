// Frozen in time: this migration imports no application code.
import { type Kysely, sql } from "kysely";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("departments")
    .addColumn("id", "uuid", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("address", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("city", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("request_id", "text", (c) => c.unique())
    .addColumn("request_hash", "text")
    .addColumn("created_at", sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // Names are unique without regard to case: the database decides, so concurrent creates cannot both win.
  await db.schema.createIndex("departments_name_key").on("departments").unique().expression(sql`lower(name)`).execute();
  // Keyset pagination reads (column, id) in order for every sortable column.
  for (const column of ["name", "created_at"]) {
    await db.schema.createIndex(`departments_${column}_id_idx`).on("departments").columns([column, "id"]).execute();
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("departments").execute();
}
