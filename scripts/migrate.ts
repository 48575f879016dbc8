// `node dist/scripts/migrate.js <service>` (or `npm run migrate -- <service>`):
// applies a service's migrations and exits, for a Kubernetes init container or
// a release job. It reads the same environment as the service itself.
import type { Migration } from "kysely";
import { migrations as beerMigrations } from "../services/beer/migrations/index.js";
import { migrations as departmentMigrations } from "../services/department/migrations/index.js";
import { migrations as pointMigrations } from "../services/point/migrations/index.js";
import { migrations as userMigrations } from "../services/user/migrations/index.js";
import { openDatabase } from "../services/platform/database.js";
import { createLogger } from "../services/platform/logger.js";
import { migrateToLatest } from "../services/platform/migrate.js";
import { loadConfig, readServiceConfig, SERVICE_NAMES, type ServiceName } from "../services/platform/service-config.js";

const MIGRATIONS: Record<ServiceName, Readonly<Record<string, Migration>>> = {
  user: userMigrations,
  point: pointMigrations,
  department: departmentMigrations,
  beer: beerMigrations,
};

const service = process.argv[2] as ServiceName | undefined;
if (service === undefined || !SERVICE_NAMES.includes(service)) {
  console.error(`usage: migrate <${SERVICE_NAMES.join("|")}>`);
  process.exitCode = 2;
} else {
  const config = loadConfig(process.env, (reader) => readServiceConfig(service, reader));
  const logger = createLogger({ service, level: config.logLevel });
  const database = await openDatabase(config.database, logger);
  try {
    await migrateToLatest(database, MIGRATIONS[service], logger);
    logger.info("migrations up to date");
  } catch (err) {
    logger.error({ err }, "migration failed");
    process.exitCode = 1;
  } finally {
    await database.close();
  }
}
