// Named prepared statements on PostgreSQL (skipped on PGlite): SELECTs are
// prepared once per connection and reused, writes are not, and a statement
// whose table changed under it is run again unnamed instead of failing.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { testConfig, usingPostgres } from "../testing/harness.js";
import { preparedStatements } from "./prepared-statements.js";

interface Db {
  items: { id: number; name: string };
}

const schema = testConfig("user").database.schema;
let pool: pg.Pool;
let db: Kysely<Db>;

before(async () => {
  if (!usingPostgres) return;
  // One connection: the statements it holds are the ones this test prepared.
  pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1, options: `-c search_path=${schema}` });
  db = new Kysely<Db>({ dialect: new PostgresDialect({ pool: preparedStatements(pool, { maxStatements: 3 }) }) });
  await sql`create schema ${sql.id(schema)}`.execute(db);
  await sql`create table items (id int primary key, name text not null)`.execute(db);
  await db.insertInto("items").values([{ id: 1, name: "one" }, { id: 2, name: "two" }]).execute();
});

after(async () => {
  if (!usingPostgres) return;
  await sql`drop schema ${sql.id(schema)} cascade`.execute(db);
  await db.destroy();
});

async function prepared(): Promise<string[]> {
  const { rows } = await sql<{ statement: string }>`select statement from pg_prepared_statements order by statement`.execute(db);
  return rows.map((r) => r.statement.trim());
}

test("a SELECT is prepared once and reused; writes are not prepared", { skip: !usingPostgres }, async () => {
  for (const id of [1, 2, 1]) await db.selectFrom("items").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
  await db.updateTable("items").set({ name: "uno" }).where("id", "=", 1).execute();
  const statements = await prepared();
  assert.equal(statements.filter((s) => s.startsWith('select * from "items"')).length, 1);
  assert.ok(!statements.some((s) => s.startsWith("update")));
});

test("past maxStatements texts, further SELECTs run unnamed", { skip: !usingPostgres }, async () => {
  await db.selectFrom("items").select("name").where("id", "=", 1).execute();
  await db.selectFrom("items").select("id").where("name", "=", "two").execute();
  await db.selectFrom("items").select(["id", "name"]).where("id", ">", 0).execute();
  // The statement listing itself is a SELECT too: three texts in all were prepared before it.
  assert.ok((await prepared()).length <= 3);
});

test("a prepared SELECT whose table changed runs again unnamed, and is prepared anew", { skip: !usingPostgres }, async () => {
  const read = () => db.selectFrom("items").selectAll().where("id", "=", 2).executeTakeFirstOrThrow();
  assert.equal((await read()).name, "two");
  await sql`alter table items add column note text`.execute(db);
  // "cached plan must not change result type" on the old statement: answered unnamed.
  const row = (await read()) as { name: string; note?: string | null };
  assert.equal(row.name, "two");
  assert.equal(row.note, null);
});
