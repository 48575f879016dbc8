// A migrated test database without a server: for in-process RPC tests.
import type { Migration } from "kysely";
import { openDatabase, type Database } from "../platform/database.js";
import { migrateToLatest } from "../platform/migrate.js";
import type { ServiceName } from "../platform/service-config.js";
import { silentLogger, testConfig } from "./harness.js";

export interface TestDatabase<DB> extends Database<DB> {
  /** Closes the database and drops its schema on PostgreSQL. */
  dispose(): Promise<void>;
}

export async function openTestDatabase<DB>(
  service: ServiceName,
  migrations: Readonly<Record<string, Migration>>,
): Promise<TestDatabase<DB>> {
  const database = await openDatabase<DB>(testConfig(service).database, silentLogger());
  await migrateToLatest(database, migrations, silentLogger());
  return {
    ...database,
    async dispose() {
      if (database.kind === "postgres") await database.dropSchema();
      await database.close();
    },
  };
}
