// The e2e harness: a fresh PostgreSQL database per run, free ports for every
// listener, and the mesh started as `npm start` starts it (scripts/start.ts,
// waiting for its SERVING table) — or, for tests that must stop and restart
// one service, the same four processes started one by one. Everything it
// starts runs in its own process group and is stopped at the end; logs go to
// a file whose path is printed. Writes need a token: the harness gives the
// mesh an AUTH_JWT_SECRET of its own and mints tokens with it.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdtempSync, readFileSync, rmSync, type WriteStream } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { randomSecret, signToken, type TokenOptions } from "../services/platform/auth-token.js";
import type { Endpoints } from "./callers.js";
import { SERVICE_NAMES, type ServiceName } from "./mesh-facts.js";
import { REPO_ROOT } from "./tools.js";

/** The server whose mesh role may create databases (scripts/postgres.sh makes it). */
export const DEFAULT_DATABASE_URL = "postgres://mesh:mesh@127.0.0.1:5432/mesh_test";

const MESH_READY_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 30_000;

export interface FreshDatabase {
  readonly name: string;
  /** The new database's URL. */
  readonly url: string;
  /** Drops it, closing whatever connections are left (WITH (FORCE)). */
  drop(): Promise<void>;
}

/**
 * Creates `mesh_e2e_<random>` on the server of E2E_DATABASE_URL (default the
 * mesh_test URL's server), as the URL's role, which needs CREATEDB.
 */
export async function createFreshDatabase(): Promise<FreshDatabase> {
  const base = new URL(process.env.E2E_DATABASE_URL || DEFAULT_DATABASE_URL);
  const name = `mesh_e2e_${randomBytes(6).toString("hex")}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: base.toString(), connectionTimeoutMillis: 5_000 });
    try {
      await client.connect();
    } catch (err) {
      throw new Error(
        `e2e: cannot reach PostgreSQL at ${base.host} (${(err as Error).message}); start it with \`sh scripts/postgres.sh start\` or set E2E_DATABASE_URL`,
      );
    }
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => dropWhenFree(() => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
  };
}

/**
 * FORCE ends the other sessions on the database, but only those the role may
 * signal: an autovacuum worker that has just started on it (after the suite's
 * writes) belongs to no role, and a role that is not a superuser then gets
 * "must be a member of the role whose process is being terminated" (42501).
 * The worker is done within moments: try again, for up to 10 s.
 */
async function dropWhenFree(drop: () => Promise<void>): Promise<void> {
  const giveUpAt = Date.now() + 10_000;
  for (;;) {
    try {
      await drop();
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== "42501" || Date.now() > giveUpAt) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** `count` distinct ports that were free a moment ago (held together while picked, so none repeats). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once("error", reject);
          server.listen(0, "0.0.0.0", () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

export interface MeshPorts extends Endpoints {
  readonly admin: Readonly<Record<ServiceName, number>>;
}

async function pickPorts(): Promise<MeshPorts> {
  const ports = await freePorts(SERVICE_NAMES.length * 3);
  const take = () => ports.shift()!;
  const endpoints = Object.fromEntries(SERVICE_NAMES.map((s) => [s, { grpcPort: take(), httpPort: take() }]));
  const admin = Object.fromEntries(SERVICE_NAMES.map((s) => [s, take()]));
  return { ...(endpoints as unknown as Endpoints), admin: admin as Record<ServiceName, number> };
}

/**
 * The environment of the mesh: the caller's, without anything that would
 * redirect a service elsewhere (per-service ports, URLs, schemas, peers,
 * SEED) or change its security (AUTH_*, TLS_*, UPSTREAM_TLS*), plus the
 * database and the picked ports.
 */
function meshEnv(databaseUrl: string, ports: MeshPorts, extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(USER|POINT|DEPARTMENT|BEER)_/.test(key)) continue;
    if (/^(AUTH_|TLS_|UPSTREAM_TLS)/.test(key)) continue;
    if (["DATABASE_URL", "DATA_DIR", "SEED", "MIGRATE_ON_START", "NODE_TEST_CONTEXT"].includes(key)) continue;
    env[key] = value;
  }
  env.DATABASE_URL = databaseUrl;
  for (const service of SERVICE_NAMES) {
    const p = service.toUpperCase();
    env[`${p}_PORT`] = String(ports[service].grpcPort);
    env[`${p}_HTTP_PORT`] = String(ports[service].httpPort);
    env[`${p}_ADMIN_PORT`] = String(ports.admin[service]);
  }
  return { ...env, ...extra };
}

function databaseUrlEnv(options: MeshOptions, url: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const service of SERVICE_NAMES) {
    const own = options.databaseUrlFor?.(service, url);
    if (own !== undefined) env[`${service.toUpperCase()}_DATABASE_URL`] = own;
  }
  return env;
}

/** A log file shared by the processes of one mesh. */
class MeshLog {
  readonly dir = mkdtempSync(join(tmpdir(), "mesh-e2e-"));
  readonly path = join(this.dir, "mesh.log");
  readonly #stream: WriteStream = createWriteStream(this.path);

  attach(prefix: string, child: ChildProcess): void {
    for (const source of [child.stdout, child.stderr]) {
      source?.setEncoding("utf8").on("data", (chunk: string) => {
        if (prefix === "") this.#stream.write(chunk);
        else for (const line of chunk.split("\n")) if (line !== "") this.#stream.write(`${prefix} ${line}\n`);
      });
    }
  }

  tail(chars = 4_000): string {
    try {
      const text = readFileSync(this.path, "utf8");
      return text.slice(-chars);
    } catch {
      return "";
    }
  }

  async close(keep: boolean): Promise<void> {
    await new Promise((resolve) => this.#stream.end(resolve));
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
  }
}

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

function spawnNode(args: readonly string[], env: NodeJS.ProcessEnv, typescript = true): { child: ChildProcess; exit: Promise<Exit> } {
  // Own process group: a stuck mesh can be killed whole, and only it.
  const child = spawn(process.execPath, typescript ? ["--import", "tsx", ...args] : args, { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const exit = new Promise<Exit>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  killOnExit.add(child);
  void exit.then(() => killOnExit.delete(child));
  return { child, exit };
}

// If the test process itself ends abruptly, take what it started along.
const killOnExit = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of killOnExit) {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

/** SIGTERM, then SIGKILL of the whole process group if it does not end in time. */
async function terminate(child: ChildProcess, exit: Promise<Exit>): Promise<Exit> {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  }, STOP_TIMEOUT_MS);
  const result = await exit;
  clearTimeout(timer);
  return result;
}

export interface MeshOptions {
  /**
   * A service's own database URL (<P>_DATABASE_URL) made from the fresh
   * database's URL, e.g. to route it through a proxy a test can cut; services
   * it returns undefined for use DATABASE_URL.
   */
  readonly databaseUrlFor?: (service: ServiceName, url: string) => string | undefined;
  /** More environment for every service (AUTH_JWT_SECRET here replaces the harness's own). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * startServices only: run `node <bundleDir>/<service>.cjs` (scripts/bundle.ts), as the image does,
   * instead of the TypeScript sources.
   */
  readonly bundleDir?: string;
}

/** How the suite gets tokens for a mesh whose AUTH_JWT_SECRET it chose. */
export interface MeshAuth {
  /** A token with mesh:read and mesh:write, valid for the whole run. */
  readonly token: string;
  /** Another token signed with the mesh's secret (other scopes, an expiry in the past, ...). */
  mintToken(options?: Omit<TokenOptions, "secret">): Promise<string>;
}

async function meshAuth(options: MeshOptions): Promise<{ auth: MeshAuth; env: Record<string, string> }> {
  const secret = options.env?.AUTH_JWT_SECRET ?? randomSecret();
  const mintToken = (token: Omit<TokenOptions, "secret"> = {}) => signToken({ ...token, secret });
  return { auth: { token: await mintToken({ subject: "e2e", expiresInSeconds: 6 * 3600 }), mintToken }, env: { AUTH_JWT_SECRET: secret } };
}

export interface Mesh extends MeshAuth {
  readonly endpoints: MeshPorts;
  readonly database: FreshDatabase;
  /** The development token start.ts printed (export TOKEN=...), as a developer would copy it. */
  readonly printedToken: string | undefined;
  /** How long the mesh took to print its SERVING table. */
  readonly startupMs: number;
  readonly logPath: string;
  logTail(chars?: number): string;
  /**
   * SIGTERM to start.ts (as Ctrl-C would), waits for it to stop its services,
   * drops the database, and removes the logs unless `keepLogs`. Resolves with
   * start.ts's exit.
   */
  stop(keepLogs: boolean): Promise<Exit>;
}

/** Starts the mesh as `npm start` does: scripts/start.ts with the environment above, ready once it prints its SERVING table. */
export async function startMesh(options: MeshOptions = {}): Promise<Mesh> {
  const started = performance.now();
  const database = await createFreshDatabase();
  const ports = await pickPorts();
  const { auth, env: authEnv } = await meshAuth(options);
  const env = meshEnv(database.url, ports, { ...authEnv, ...databaseUrlEnv(options, database.url), ...options.env });
  const log = new MeshLog();
  const { child, exit } = spawnNode(["scripts/start.ts"], env);
  log.attach("", child);
  let printedToken: string | undefined;
  let pending = "";
  child.stdout!.on("data", (chunk: string) => {
    // Whole lines only: a chunk may end in the middle of the token.
    const lines = (pending + chunk).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) printedToken ??= /^export TOKEN=(\S+)$/.exec(line)?.[1];
  });
  try {
    await waitForTable(child, exit, ports, log);
  } catch (err) {
    await terminate(child, exit);
    await log.close(true);
    await database.drop().catch(() => undefined);
    throw new Error(`${(err as Error).message}\nlogs: ${log.path}\n${log.tail()}`);
  }
  const startupMs = performance.now() - started;
  return {
    ...auth,
    get printedToken() {
      return printedToken;
    },
    endpoints: ports,
    database,
    startupMs,
    logPath: log.path,
    logTail: (chars) => log.tail(chars),
    async stop(keepLogs) {
      const result = await terminate(child, exit);
      await log.close(keepLogs);
      await database.drop();
      return result;
    },
  };
}

/** Resolves when start.ts has printed a SERVING row for every service, on the ports it was given. */
function waitForTable(child: ChildProcess, exit: Promise<Exit>, ports: Endpoints, log: MeshLog): Promise<void> {
  return new Promise((resolve, reject) => {
    const rows = new Map<string, { grpcPort: number; httpPort: number }>();
    let buffered = "";
    const timer = setTimeout(() => reject(new Error(`e2e: the mesh printed no SERVING table within ${MESH_READY_TIMEOUT_MS / 1000} s`)), MESH_READY_TIMEOUT_MS);
    child.stdout!.on("data", (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        const row = /^(user|point|department|beer)\s+localhost:(\d+)\s+http:\/\/localhost:(\d+)\s+SERVING\s*$/.exec(line);
        if (row !== null) rows.set(row[1]!, { grpcPort: Number(row[2]), httpPort: Number(row[3]) });
      }
      if (rows.size === SERVICE_NAMES.length) {
        clearTimeout(timer);
        for (const service of SERVICE_NAMES) {
          const row = rows.get(service)!;
          if (row.grpcPort !== ports[service].grpcPort || row.httpPort !== ports[service].httpPort) {
            reject(new Error(`e2e: start.ts reported ${service} on ${JSON.stringify(row)}, not on the ports it was given`));
            return;
          }
        }
        resolve();
      }
    });
    void exit.then((e) => {
      clearTimeout(timer);
      reject(new Error(`e2e: start.ts exited (${e.signal ?? `code ${e.code}`}) before every service was SERVING; ${log.path}`));
    });
  });
}

export interface ServiceProcess {
  readonly pid: number;
  /** Resolves when the process ends. */
  readonly exit: Promise<Exit>;
}

export interface ServiceSet extends MeshAuth {
  readonly endpoints: MeshPorts;
  readonly database: FreshDatabase;
  readonly logPath: string;
  logTail(chars?: number): string;
  /** The running process of a service (the last one started). */
  process(service: ServiceName): ServiceProcess;
  /** Starts a service's process (again), with the same environment and ports; resolves once it is spawned. */
  spawn(service: ServiceName): ServiceProcess;
  /** Sends a signal to a service's process. */
  signal(service: ServiceName, signal: NodeJS.Signals): void;
  /** Stops every process still running, drops the database, removes the logs unless `keepLogs`. */
  stop(keepLogs: boolean): Promise<void>;
}

/**
 * The four services as separate processes started one by one, with the
 * environment start.ts gives them (SEED=true, each told where its peers
 * listen): for tests that stop and restart one service, which start.ts
 * does not allow (it stops the whole mesh when one service exits).
 * Readiness is the caller's to wait for (health checks). With `bundleDir`
 * they run from the bundles the image runs.
 */
export async function startServices(options: MeshOptions = {}): Promise<ServiceSet> {
  const database = await createFreshDatabase();
  const ports = await pickPorts();
  const { auth, env: authEnv } = await meshAuth(options);
  const env = meshEnv(database.url, ports, { SEED: "true", ...authEnv, ...databaseUrlEnv(options, database.url), ...options.env });
  for (const service of SERVICE_NAMES) env[`${service.toUpperCase()}_SERVICE_ADDR`] = `localhost:${ports[service].grpcPort}`;
  const log = new MeshLog();
  const running = new Map<ServiceName, { child: ChildProcess; exit: Promise<Exit> }>();
  const spawnService = (service: ServiceName): ServiceProcess => {
    const bundle = options.bundleDir;
    const started = bundle === undefined ? spawnNode([`services/${service}/main.ts`], env) : spawnNode([join(bundle, `${service}.cjs`)], env, false);
    log.attach(`[${service}]`, started.child);
    running.set(service, started);
    return { pid: started.child.pid!, exit: started.exit };
  };
  for (const service of SERVICE_NAMES) spawnService(service);
  return {
    ...auth,
    endpoints: ports,
    database,
    logPath: log.path,
    logTail: (chars) => log.tail(chars),
    process(service) {
      const p = running.get(service)!;
      return { pid: p.child.pid!, exit: p.exit };
    },
    spawn: spawnService,
    signal(service, signal) {
      running.get(service)!.child.kill(signal);
    },
    async stop(keepLogs) {
      await Promise.all([...running.values()].map((p) => terminate(p.child, p.exit)));
      await log.close(keepLogs);
      await database.drop();
    },
  };
}
