// Runs a service's migrations with Kysely's Migrator from a static index. The
// Migrator takes a PostgreSQL advisory lock, so replicas starting together
// apply each migration once.
import { type DatabaseIntrospector, type Kysely, type Migration, Migrator, sql, type TableMetadata } from "kysely";
import type { Database } from "./database.js";
import type { Logger } from "./logger.js";

export async function migrateToLatest(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are typed against Kysely<any>
  database: Database<any>,
  migrations: Readonly<Record<string, Migration>>,
  logger: Logger,
): Promise<void> {
  const migrator = new Migrator({
    db: withSchemaIntrospection(database.db, database.schema),
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

/**
 * The Migrator asks whether its tables exist by listing every table of every
 * schema with their columns (Kysely's PostgreSQL introspector), which fails
 * with "schema ... does not exist" when another schema is dropped meanwhile
 * (test suites sharing a database do), and reads the whole catalogue at every
 * start. Here it lists only the service's own schema, from pg_catalog alone.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
function withSchemaIntrospection(db: Kysely<any>, schema: string): Kysely<any> {
  const introspector: DatabaseIntrospector = {
    getSchemas: () => db.introspection.getSchemas(),
    getMetadata: async () => ({ tables: await introspector.getTables() }),
    async getTables(): Promise<TableMetadata[]> {
      const { rows } = await sql<{ name: string; kind: string }>`
        select c.relname as name, c.relkind as kind
        from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = ${schema} and c.relkind in ('r', 'p', 'v', 'm')`.execute(db);
      return rows.map((row) => ({ name: row.name, schema, isView: row.kind === "v" || row.kind === "m", columns: [] }));
    },
  };
  return new Proxy(db, {
    get(target, property) {
      if (property === "introspection") return introspector;
      const value: unknown = Reflect.get(target, property, target);
      // Kysely's methods use private fields: they must run on the real instance.
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
