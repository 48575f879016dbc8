// A Kysely instance over PostgreSQL (node-postgres pool) or, with no URL, over
// an embedded PGlite database: the same migrations and queries run on both.
import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { Kysely, PostgresDialect, sql } from "kysely";
import { PGliteDialect } from "kysely-pglite-dialect";
import pg from "pg";
import type { Logger } from "./logger.js";
import type { DatabaseConfig } from "./service-config.js";

export interface Database<DB> {
  readonly db: Kysely<DB>;
  readonly kind: "postgres" | "pglite";
  readonly schema: string;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  /** Drops the schema and everything in it (tests only). */
  dropSchema(): Promise<void>;
  close(): Promise<void>;
}

const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

// bigint (int8) and numeric arrive as strings from node-postgres; the
// repositories convert them where they read them, identically for PGlite.
export async function openDatabase<DB>(config: DatabaseConfig, logger: Logger): Promise<Database<DB>> {
  if (!SCHEMA_PATTERN.test(config.schema)) {
    throw new Error(`database schema "${config.schema}" must match ${SCHEMA_PATTERN}`);
  }
  return config.url === undefined ? openPglite(config, logger) : openPostgres(config, config.url, logger);
}

async function openPostgres<DB>(config: DatabaseConfig, url: string, logger: Logger): Promise<Database<DB>> {
  const pool = new pg.Pool({
    connectionString: url,
    max: config.poolMax,
    connectionTimeoutMillis: config.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    options: `-c search_path=${config.schema} -c statement_timeout=${config.statementTimeoutMs}`,
  });
  // An idle client losing its connection emits here; unhandled, it would end the process.
  pool.on("error", (err) => logger.warn({ err }, "idle database connection failed"));
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  await createSchema(db, config.schema);
  return {
    db,
    kind: "postgres",
    schema: config.schema,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async dropSchema() {
      await sql`drop schema if exists ${sql.id(config.schema)} cascade`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}

async function openPglite<DB>(config: DatabaseConfig, logger: Logger): Promise<Database<DB>> {
  if (config.dataDir !== undefined) mkdirSync(config.dataDir, { recursive: true });
  const pglite = config.dataDir === undefined ? new PGlite() : new PGlite(config.dataDir);
  await pglite.waitReady;
  logger.info({ data_dir: config.dataDir ?? "memory" }, "using embedded PGlite database");
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
  await createSchema(db, config.schema);
  // One connection only, so a session-level search_path holds for every query.
  await sql`set search_path to ${sql.id(config.schema)}`.execute(db);
  return {
    db,
    kind: "pglite",
    schema: config.schema,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async dropSchema() {
      await sql`drop schema if exists ${sql.id(config.schema)} cascade`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}

/** Creates the schema if needed; tolerates replicas racing to create it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function createSchema(db: Kysely<any>, schema: string): Promise<void> {
  try {
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== "23505" && code !== "42P06") throw err;
  }
}
