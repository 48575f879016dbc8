// One hot read, one way, for a duration with N in flight over a pool of 10:
//   repository       the service's repository function on the database as services open it;
//   kysely-unnamed   the same function on Kysely over a plain node-postgres pool (every statement unnamed);
//   kysely-prepared  the same function on Kysely with SELECTs as named prepared statements
//                    (services/platform/prepared-statements.ts);
//   pg-simple        node-postgres with the same SQL text, unnamed (parsed and planned every time);
//   pg-prepared      node-postgres with a named statement (parsed once per connection).
// Reads: user by id (GetUser), balance of one user (GetUserPoints), department by id (GetDepartment).
// -> {type:"result", queries, seconds, cpuUsPerQuery, p50Ms, p99Ms, errors}
import { parseArgs } from "node:util";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import * as departments from "../../services/department/repository.js";
import type { DepartmentDatabase } from "../../services/department/schema.js";
import { openDatabase } from "../../services/platform/database.js";
import { preparedStatements } from "../../services/platform/prepared-statements.js";
import { createLogger } from "../../services/platform/logger.js";
import { REFERENCE_DEPARTMENTS } from "../../services/platform/reference-data.js";
import * as points from "../../services/point/repository.js";
import type { PointDatabase } from "../../services/point/schema.js";
import * as users from "../../services/user/repository.js";
import type { UserDatabase } from "../../services/user/schema.js";
import { reply } from "../lib/children.js";
import { databaseConfig, GEORGE_ID } from "../lib/fixtures.js";
import { percentile } from "../lib/stats.js";

export const READS = ["user-by-id", "points-of-user", "department-by-id"] as const;
export const WAYS = ["repository", "kysely-unnamed", "kysely-prepared", "pg-simple", "pg-prepared"] as const;

const { values: args } = parseArgs({
  options: {
    read: { type: "string" },
    way: { type: "string" },
    "duration-s": { type: "string", default: "5" },
    "warm-s": { type: "string", default: "1" },
    inflight: { type: "string", default: "32" },
    "database-url": { type: "string" },
  },
});
const read = args.read as (typeof READS)[number];
const way = args.way as (typeof WAYS)[number];
const schema = read === "user-by-id" ? "bench_user" : read === "points-of-user" ? "bench_point" : "bench_department";
const logger = createLogger({ service: "bench-db", level: "warn" });
const database = await openDatabase<unknown>(databaseConfig(args["database-url"], schema), logger);
const departmentId = REFERENCE_DEPARTMENTS[2]?.id ?? "";

// The SQL the repository sends, for the raw ways to send verbatim.
const compiled =
  read === "user-by-id"
    ? (database.db as Kysely<UserDatabase>).selectFrom("users").selectAll().where("id", "=", GEORGE_ID).compile()
    : read === "points-of-user"
      ? (database.db as Kysely<PointDatabase>).selectFrom("point_balances").select(["user_id", "points"]).where("user_id", "in", [GEORGE_ID]).compile()
      : (database.db as Kysely<DepartmentDatabase>).selectFrom("departments").selectAll().where("id", "=", departmentId).compile();

let query: () => Promise<unknown>;
let pool: pg.Pool | undefined;
let kysely: Kysely<unknown> | undefined;
if (way === "repository" || way === "kysely-unnamed" || way === "kysely-prepared") {
  let db = database.db;
  if (way !== "repository") {
    const plain = new pg.Pool({ connectionString: databaseConfig(args["database-url"], schema).url, max: 10, options: `-c search_path=${schema}` });
    kysely = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: way === "kysely-prepared" ? preparedStatements(plain) : plain }) });
    db = kysely;
  }
  query =
    read === "user-by-id"
      ? () => users.findUserById(db as Kysely<UserDatabase>, GEORGE_ID)
      : read === "points-of-user"
        ? () => points.findBalances(db as Kysely<PointDatabase>, [GEORGE_ID])
        : () => departments.findDepartmentById(db as Kysely<DepartmentDatabase>, departmentId);
} else {
  pool = new pg.Pool({ connectionString: databaseConfig(args["database-url"], schema).url, max: 10, options: `-c search_path=${schema}` });
  const text = compiled.sql;
  const values = [...compiled.parameters];
  const name = `bench_${read.replaceAll("-", "_")}`;
  query = way === "pg-simple" ? () => pool!.query(text, values) : () => pool!.query({ name, text, values });
}

const inFlight = Number(args.inflight);
const run = async (seconds: number, latencies?: number[]) => {
  const until = performance.now() + seconds * 1000;
  let count = 0;
  let errors = 0;
  const worker = async () => {
    while (performance.now() < until) {
      const started = performance.now();
      try {
        await query();
      } catch {
        errors++;
      }
      latencies?.push(performance.now() - started);
      count++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return { count, errors };
};

await run(Number(args["warm-s"]));
const latencies: number[] = [];
const cpu = process.cpuUsage();
const started = performance.now();
const { count, errors } = await run(Number(args["duration-s"]), latencies);
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
await pool?.end();
await kysely?.destroy();
await database.close();
reply({
  type: "result",
  queries: count,
  seconds,
  errors,
  cpuUsPerQuery: (used.user + used.system) / count,
  p50Ms: percentile(latencies, 50),
  p99Ms: percentile(latencies, 99),
});
process.disconnect();
