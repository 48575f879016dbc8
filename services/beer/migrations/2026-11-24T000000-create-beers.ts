// Frozen in time: this migration imports no application code.
import { type Kysely, sql } from "kysely";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("beers")
    .addColumn("id", "uuid", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("style", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("abv", "double precision", (c) => c.check(sql`abv >= 0 and abv <= 70`))
    .addColumn("created_at", sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // Names are unique without regard to case: the database decides, so of
  // concurrent AddBeer calls with one name exactly one wins.
  await db.schema.createIndex("beers_name_key").on("beers").unique().expression(sql`lower(name)`).execute();
  // Keyset pagination reads (sort key, id) in order for every sortable field;
  // an unknown ABV sorts as -1 so that the key is never null.
  await db.schema.createIndex("beers_name_id_idx").on("beers").columns(["name", "id"]).execute();
  await db.schema.createIndex("beers_created_at_id_idx").on("beers").columns(["created_at", "id"]).execute();
  await db.schema.createIndex("beers_abv_id_idx").on("beers").expression(sql`coalesce(abv, -1), id`).execute();

  await db.schema
    .createTable("beer_events")
    .addColumn("seq", "bigint", (c) => c.generatedAlwaysAsIdentity().primaryKey())
    .addColumn("type", "text", (c) => c.notNull().check(sql`type in ('added', 'renamed', 'removed')`))
    .addColumn("beer_id", "uuid", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("style", "text", (c) => c.notNull())
    .addColumn("abv", "double precision")
    .addColumn("beer_created_at", sql`timestamptz(3)`, (c) => c.notNull())
    .addColumn("beer_updated_at", sql`timestamptz(3)`, (c) => c.notNull())
    .addColumn("previous_name", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("request_id", "text", (c) => c.unique())
    .addColumn("request_hash", "text")
    .addColumn("created_at", sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("beer_events").execute();
  await db.schema.dropTable("beers").execute();
}
