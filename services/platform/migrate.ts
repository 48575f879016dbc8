// Runs a service's migrations with Kysely's Migrator from a static index. The
// Migrator takes a PostgreSQL advisory lock, so replicas starting together
// apply each migration once.
import { type Migration, Migrator } from "kysely";
import type { Database } from "./database.js";
import type { Logger } from "./logger.js";

export async function migrateToLatest(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are typed against Kysely<any>
  database: Database<any>,
  migrations: Readonly<Record<string, Migration>>,
  logger: Logger,
): Promise<void> {
  const migrator = new Migrator({
    db: database.db,
    provider: { getMigrations: async () => ({ ...migrations }) },
    migrationTableSchema: database.schema,
  });
  const { error, results } = await migrator.migrateToLatest();
  for (const result of results ?? []) {
    if (result.status === "Success") logger.info({ migration: result.migrationName }, "migration applied");
    else if (result.status === "Error") logger.error({ migration: result.migrationName }, "migration failed");
  }
  if (error !== undefined) throw error;
}
