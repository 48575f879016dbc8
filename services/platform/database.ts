// A Kysely instance over PostgreSQL (node-postgres pool) or, with no URL, over
// an embedded PGlite database: the same migrations and queries run on both.
import { mkdirSync } from "node:fs";
import { Kysely, PostgresDialect, sql, type LogEvent } from "kysely";
import pg from "pg";
import type { Logger } from "./logger.js";
import { preparedStatements } from "./prepared-statements.js";
import type { DatabaseConfig } from "./service-config.js";

export interface Database<DB> {
  readonly db: Kysely<DB>;
  readonly kind: "postgres" | "pglite";
  readonly schema: string;
  /**
   * Resolves when the database answers a trivial query. On PostgreSQL straight
   * to the pool, not through Kysely: the readiness check runs it every second,
   * and an idle service should run as little code as it can (what V8 compiles
   * for it is most of an idle service's growth; docs/benchmarks/README.md,
   * Memory). Not counted in the query metrics, which are the services' own.
   */
  ping(): Promise<void>;
  /**
   * LISTENs on a channel (NOTIFY from any connection, e.g. `pg_notify` in a
   * committed transaction) and calls onNotify for each notification. On
   * PostgreSQL this holds one dedicated connection; if it fails, onError is
   * called and the caller should fall back to polling. Resolves with a function
   * that stops listening.
   */
  listen(channel: string, onNotify: (payload: string) => void, onError: (err: Error) => void): Promise<() => Promise<void>>;
  /** Connections of the pool now (PostgreSQL); undefined for PGlite, which has one in-process connection and no pool. */
  poolStats(): PoolStats | undefined;
  /** Drops the schema and everything in it (tests only). */
  dropSchema(): Promise<void>;
  close(): Promise<void>;
}

export interface PoolStats {
  /** Open connections, idle or in use. */
  readonly total: number;
  readonly idle: number;
  /** Callers queued for a connection. */
  readonly waiting: number;
  /** The pool's limit. */
  readonly max: number;
}

/** Metrics hooks; none costs anything when absent. */
export interface DatabaseHooks {
  /** Called after every query with its duration (Kysely's log event: Kysely times queries only when this is set). */
  readonly onQuery?: (event: LogEvent) => void;
}

const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

// bigint (int8) and numeric arrive as strings from node-postgres; the
// repositories convert them where they read them, identically for PGlite.
export async function openDatabase<DB>(config: DatabaseConfig, logger: Logger, hooks: DatabaseHooks = {}): Promise<Database<DB>> {
  if (!SCHEMA_PATTERN.test(config.schema)) {
    throw new Error(`database schema "${config.schema}" must match ${SCHEMA_PATTERN}`);
  }
  return config.url === undefined ? openPglite(config, logger, hooks) : openPostgres(config, config.url, logger, hooks);
}

async function openPostgres<DB>(config: DatabaseConfig, url: string, logger: Logger, hooks: DatabaseHooks): Promise<Database<DB>> {
  const pool = new pg.Pool({
    connectionString: url,
    max: config.poolMax,
    connectionTimeoutMillis: config.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    options: `-c search_path=${config.schema} -c statement_timeout=${config.statementTimeoutMs}`,
  });
  // An idle client losing its connection emits here; unhandled, it would end the process.
  pool.on("error", (err) => logger.warn({ err }, "idle database connection failed"));
  // A checked-out client has no listener of the pool's: a connection lost between its
  // queries (just acquired, or inside a transaction) was an uncaught "error" that ended
  // the process. Its query fails on its own, and the pool drops it when it is released.
  pool.on("connect", (client) => client.on("error", (err) => logger.warn({ err }, "database connection lost")));
  // SELECTs run as named prepared statements: parsed and planned once per connection (prepared-statements.ts).
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: preparedStatements(pool) }), ...(hooks.onQuery === undefined ? {} : { log: hooks.onQuery }) });
  await createSchema(db, config.schema);
  return {
    db,
    kind: "postgres",
    schema: config.schema,
    async ping() {
      await pool.query("select 1");
    },
    async listen(channel, onNotify, onError) {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: config.connectTimeoutMs });
      client.on("error", onError);
      client.on("notification", (message) => {
        if (message.channel === channel) onNotify(message.payload ?? "");
      });
      await client.connect();
      await client.query(`LISTEN ${quoteIdentifier(channel)}`);
      return async () => {
        await client.end().catch(() => undefined);
      };
    },
    poolStats() {
      return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: config.poolMax };
    },
    async dropSchema() {
      await sql`drop schema if exists ${sql.id(config.schema)} cascade`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

async function openPglite<DB>(config: DatabaseConfig, logger: Logger, hooks: DatabaseHooks): Promise<Database<DB>> {
  // Loaded only here: a service on PostgreSQL never needs PGlite's code in memory.
  const [{ PGlite }, { PGliteDialect }] = await Promise.all([import("@electric-sql/pglite"), import("kysely-pglite-dialect")]);
  if (config.dataDir !== undefined) mkdirSync(config.dataDir, { recursive: true });
  const pglite = config.dataDir === undefined ? new PGlite() : new PGlite(config.dataDir);
  await pglite.waitReady;
  logger.info({ data_dir: config.dataDir ?? "memory" }, "using embedded PGlite database");
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite), ...(hooks.onQuery === undefined ? {} : { log: hooks.onQuery }) });
  await createSchema(db, config.schema);
  // One connection only, so a session-level search_path holds for every query.
  await sql`set search_path to ${sql.id(config.schema)}`.execute(db);
  return {
    db,
    kind: "pglite",
    schema: config.schema,
    async ping() {
      // Through Kysely: its dialect serializes the one connection, so a ping never lands inside a transaction.
      await sql`select 1`.execute(db);
    },
    async listen(channel, onNotify) {
      const unsubscribe = await pglite.listen(channel, onNotify);
      return unsubscribe;
    },
    poolStats() {
      return undefined;
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

/** The constraint a unique violation broke, or undefined for any other error. Repositories use it to report conflicts. */
export function uniqueViolation(err: unknown): string | undefined {
  const e = err as { code?: unknown; constraint?: unknown };
  if (e?.code !== "23505") return undefined;
  // node-postgres sets `constraint`; PGlite carries it the same way.
  return typeof e.constraint === "string" ? e.constraint : "";
}

/** Converts a bigint/numeric column (a string from node-postgres, a number or bigint from PGlite) to a number. */
export function toNumber(value: unknown): number {
  return typeof value === "number" ? value : Number(value);
}

/** Converts a bigint column to a bigint, whatever the driver returned. */
export function toBigInt(value: unknown): bigint {
  return typeof value === "bigint" ? value : BigInt(value as string | number);
}
