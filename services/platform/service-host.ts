// Starts one service process the same way for every service: observability,
// database, migrations, optional seed, server, admin server, readiness; and
// stops it in reverse order.
import type { Interceptor } from "@connectrpc/connect";
import type { Kysely, Migration } from "kysely";
import { createAdminServer, type AdminServer } from "./admin-server.js";
import { createAuthInterceptor } from "./auth.js";
import { openDatabase, type Database } from "./database.js";
import { exportServerLoad } from "./load-metrics.js";
import type { Logger } from "./logger.js";
import { migrateToLatest } from "./migrate.js";
import { createObservability, type Observability } from "./observability.js";
import { watchReadiness } from "./readiness.js";
import { createServer, type Server } from "./server.js";
import type { ServiceConfig } from "./service-config.js";
import { flushSpans } from "./tracing.js";

export interface ServiceHostOptions<DB> {
  readonly config: ServiceConfig;
  readonly logger: Logger;
  readonly migrations: Readonly<Record<string, Migration>>;
  /** Inserts the reference data; run when config.seed is true. Must be idempotent. */
  readonly seed?: (db: Kysely<DB>) => Promise<void>;
  readonly interceptors?: readonly Interceptor[];
  /**
   * Registers the service's handlers. Returns what to close after the server
   * has drained (upstream connections, watchers). `observability` holds the
   * client interceptor for upstream transports and the process's registry.
   */
  readonly mount: (
    server: Server,
    database: Database<DB>,
    observability: Observability,
  ) => Array<() => void | Promise<void>> | void;
}

export interface ServiceHost<DB> {
  readonly port: number;
  readonly httpPort: number | undefined;
  /** The admin server's port (/metrics, /healthz, /readyz), undefined when disabled. */
  readonly adminPort: number | undefined;
  readonly server: Server;
  readonly database: Database<DB>;
  readonly observability: Observability;
  /** Graceful stop: drain the server, then close upstreams and the database, flush spans, close the admin server. */
  stop(): Promise<void>;
}

export async function startServiceHost<DB>(options: ServiceHostOptions<DB>): Promise<ServiceHost<DB>> {
  const { config, logger } = options;
  const observability = createObservability({ tracing: config.tracing });
  const database = await openDatabase<DB>(config.database, logger, { onQuery: observability.database.onQuery });
  if (database.kind === "postgres") observability.database.observePool(() => database.poolStats());
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
  const auth = createAuthInterceptor({ config: config.auth, logger });
  if (auth === undefined) {
    logger.warn("authentication is off (neither AUTH_JWT_SECRET nor AUTH_JWKS_URL is set): writes are unauthenticated");
  } else {
    const { keys, issuer, audience, requireReads } = config.auth;
    logger.info({ keys: keys?.kind, issuer, audience, reads: requireReads ? "mesh:read" : "open" }, "authentication on: writes need mesh:write");
  }
  const server = createServer({
    config: config.server,
    logger,
    // Authentication runs first: nothing else is done for a call its caller may not make.
    interceptors: [...(auth === undefined ? [] : [auth]), ...(options.interceptors ?? [])],
    observer: observability.serverInterceptor,
  });
  exportServerLoad(observability.registry, () => server.load());
  const closers = options.mount(server, database, observability) ?? [];
  const { port, httpPort } = await server.listen();
  let admin: AdminServer | undefined;
  let adminPort: number | undefined;
  if (config.adminPort >= 0) {
    admin = createAdminServer({ host: config.server.host, port: config.adminPort, registry: observability.registry, health: server.health, logger });
    try {
      adminPort = await admin.listen();
    } catch (err) {
      await server.stop();
      for (const close of closers) await close();
      await database.close();
      throw err;
    }
    logger.info({ admin_port: adminPort }, "admin server listening: /metrics, /healthz, /readyz");
  }
  const stopReadiness = await watchReadiness({ health: server.health, logger, ping: () => database.ping() });
  let stopped: Promise<void> | undefined;
  return {
    port,
    httpPort,
    adminPort,
    server,
    database,
    observability,
    stop() {
      stopped ??= (async () => {
        stopReadiness();
        await server.stop();
        for (const close of closers) await close();
        await database.close();
        // Every RPC span has ended by now: export them before the process goes.
        if (config.tracing) await flushSpans();
        // Last, so /readyz answers 503 and /metrics stays scrapable during the drain.
        await admin?.close();
      })();
      return stopped;
    },
  };
}
