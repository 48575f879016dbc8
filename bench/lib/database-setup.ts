// The benchmark's own schemas (bench_user, bench_point, bench_department) on
// the PostgreSQL under test: each service's real migrations and reference data.
import { sql, type Kysely, type Migration } from "kysely";
import { migrations as departmentMigrations } from "../../services/department/migrations/index.js";
import { seedDepartments } from "../../services/department/seed.js";
import { openDatabase } from "../../services/platform/database.js";
import { createLogger } from "../../services/platform/logger.js";
import { migrateToLatest } from "../../services/platform/migrate.js";
import { migrations as pointMigrations } from "../../services/point/migrations/index.js";
import { seedPoints } from "../../services/point/seed.js";
import { migrations as userMigrations } from "../../services/user/migrations/index.js";
import { seedUsers } from "../../services/user/seed.js";
import { databaseConfig } from "./fixtures.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each schema has its own table types
type Seed = (db: Kysely<any>) => Promise<void>;

const SCHEMAS: ReadonlyArray<{ schema: string; migrations: Readonly<Record<string, Migration>>; seed: Seed }> = [
  { schema: "bench_user", migrations: userMigrations, seed: seedUsers },
  { schema: "bench_point", migrations: pointMigrations, seed: seedPoints },
  { schema: "bench_department", migrations: departmentMigrations, seed: seedDepartments },
];

/** Migrates and seeds the benchmark schemas (idempotent). */
export async function prepareDatabases(url: string): Promise<void> {
  const logger = createLogger({ service: "bench-setup", level: "warn" });
  for (const { schema, migrations, seed } of SCHEMAS) {
    const database = await openDatabase<unknown>(databaseConfig(url, schema), logger);
    try {
      await migrateToLatest(database, migrations, logger);
      await seed(database.db);
      // Fresh statistics, so the planner picks the index scans production would.
      await sql`analyze`.execute(database.db);
    } finally {
      await database.close();
    }
  }
}
