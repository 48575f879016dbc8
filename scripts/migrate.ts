// `node dist/migrate.cjs <service>` in the image (or `npm run migrate -- <service>`):
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

async function main(service: string | undefined): Promise<number> {
  if (service === undefined || !SERVICE_NAMES.includes(service as ServiceName)) {
    console.error(`usage: migrate <${SERVICE_NAMES.join("|")}>`);
    return 2;
  }
  const name = service as ServiceName;
  const config = loadConfig(process.env, (reader) => readServiceConfig(name, reader));
  const logger = createLogger({ service: name, level: config.logLevel });
  const database = await openDatabase(config.database, logger);
  try {
    await migrateToLatest(database, MIGRATIONS[name], logger);
    logger.info("migrations up to date");
    return 0;
  } catch (err) {
    logger.error({ err }, "migration failed");
    return 1;
  } finally {
    await database.close();
  }
}

// No top-level await: the image runs this file bundled as CommonJS.
void main(process.argv[2]).then((code) => (process.exitCode = code));
