// Frozen in time: this migration imports no application code.
import { type Kysely, sql } from "kysely";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("users")
    .addColumn("id", "uuid", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("email", "text", (c) => c.notNull().unique())
    .addColumn("age", "integer", (c) => c.notNull().check(sql`age between 0 and 150`))
    .addColumn("salary", "integer", (c) => c.notNull().check(sql`salary >= 0`))
    .addColumn("department_id", "uuid")
    .addColumn("request_id", "text", (c) => c.unique())
    .addColumn("request_hash", "text")
    .addColumn("created_at", sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // Keyset pagination reads (column, id) in order for every sortable column.
  for (const column of ["name", "email", "age", "salary", "created_at"]) {
    await db.schema.createIndex(`users_${column}_id_idx`).on("users").columns([column, "id"]).execute();
  }
  await db.schema.createIndex("users_department_id_idx").on("users").column("department_id").execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("users").execute();
}
