// Starts one service process the same way for every service: database,
// migrations, optional seed, server, readiness; and stops it in reverse order.
import type { Interceptor } from "@connectrpc/connect";
import type { Kysely, Migration } from "kysely";
import { openDatabase, type Database } from "./database.js";
import type { Logger } from "./logger.js";
import { migrateToLatest } from "./migrate.js";
import { watchReadiness } from "./readiness.js";
import { createServer, type Server } from "./server.js";
import type { ServiceConfig } from "./service-config.js";

export interface ServiceHostOptions<DB> {
  readonly config: ServiceConfig;
  readonly logger: Logger;
  readonly migrations: Readonly<Record<string, Migration>>;
  /** Inserts the reference data; run when config.seed is true. Must be idempotent. */
  readonly seed?: (db: Kysely<DB>) => Promise<void>;
  readonly interceptors?: readonly Interceptor[];
  /**
   * Registers the service's handlers. Returns what to close after the server
   * has drained (upstream connections, watchers).
   */
  readonly mount: (server: Server, database: Database<DB>) => Array<() => void | Promise<void>> | void;
}

export interface ServiceHost<DB> {
  readonly port: number;
  readonly httpPort: number | undefined;
  readonly server: Server;
  readonly database: Database<DB>;
  /** Graceful stop: drain the server, then close upstreams and the database. */
  stop(): Promise<void>;
}

export async function startServiceHost<DB>(options: ServiceHostOptions<DB>): Promise<ServiceHost<DB>> {
  const { config, logger } = options;
  const database = await openDatabase<DB>(config.database, logger);
  try {
    if (config.migrateOnStart) await migrateToLatest(database, options.migrations, logger);
    if (config.seed && options.seed !== undefined) {
      await options.seed(database.db);
      logger.info("reference data seeded");
    }
  } catch (err) {
    await database.close();
    throw err;
  }
  const server = createServer({ config: config.server, logger, interceptors: options.interceptors ?? [] });
  const closers = options.mount(server, database) ?? [];
  const { port, httpPort } = await server.listen();
  const stopReadiness = await watchReadiness({ health: server.health, logger, ping: () => database.ping() });
  let stopped: Promise<void> | undefined;
  return {
    port,
    httpPort,
    server,
    database,
    stop() {
      stopped ??= (async () => {
        stopReadiness();
        await server.stop();
        for (const close of closers) await close();
        await database.close();
      })();
      return stopped;
    },
  };
}
