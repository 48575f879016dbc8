// Replicas starting together: every one migrates, each migration is applied once.
import assert from "node:assert/strict";
import { test } from "node:test";
import { sql } from "kysely";
import { migrations } from "../user/migrations/index.js";
import { silentLogger, testConfig, usingPostgres } from "../testing/harness.js";
import { openDatabase } from "./database.js";
import { migrateToLatest } from "./migrate.js";

test("concurrent migrations of one schema apply each migration once", { skip: !usingPostgres && "needs a PostgreSQL server: set DATABASE_URL" }, async () => {
  const config = testConfig("user").database;
  const replicas = await Promise.all(Array.from({ length: 4 }, () => openDatabase(config, silentLogger())));
  try {
    await Promise.all(replicas.map((db) => migrateToLatest(db, migrations, silentLogger())));
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(replicas[0]!.db);
    assert.deepEqual(
      rows.map((r) => r.name),
      Object.keys(migrations),
    );
    // Running again is a no-op.
    await migrateToLatest(replicas[1]!, migrations, silentLogger());
  } finally {
    await replicas[0]!.dropSchema();
    await Promise.all(replicas.map((db) => db.close()));
  }
});
