// Named prepared statements for the reads Kysely sends through node-postgres.
// An unnamed statement is parsed and planned by PostgreSQL on every execution;
// a named one once per connection. For the primary-key reads that dominate
// the services (GetUser, GetUserPoints, GetDepartment) that is most of
// PostgreSQL's work: see docs/benchmarks/README.md for the measured difference.
//
// Only SELECTs are prepared, each distinct SQL text under its own name, up to
// maxStatements texts (Kysely's text is the same for every call of a query;
// an `in (...)` list of n ids is one text per n). A statement whose result
// type changed under it (a migration of a running system: "cached plan must
// not change result type") is given up: that call is retried unnamed and the
// text is prepared again under a new name.
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from "kysely";

export interface PreparedStatementsOptions {
  /** Distinct SQL texts prepared at most; later ones run unnamed. Default 256. */
  readonly maxStatements?: number;
}

/** SQLSTATE of "cached plan must not change result type". */
const PLAN_CHANGED = "0A000";

/** A pool for Kysely's PostgresDialect whose clients run SELECTs as named prepared statements. */
export function preparedStatements(pool: PostgresPool, options: PreparedStatementsOptions = {}): PostgresPool {
  const max = options.maxStatements ?? 256;
  const names = new Map<string, string>();
  let next = 0;
  const nameOf = (sql: string): string | undefined => {
    const known = names.get(sql);
    if (known !== undefined) return known;
    if (names.size >= max || !/^\s*select\b/i.test(sql)) return undefined;
    const name = `mesh_${next++}`;
    names.set(sql, name);
    return name;
  };
  return {
    async connect() {
      const client = (await pool.connect()) as PostgresPoolClient & {
        query(config: { name: string; text: string; values: unknown[] }): Promise<PostgresQueryResult<unknown>>;
      };
      return {
        query(sqlOrCursor: unknown, parameters?: ReadonlyArray<unknown>) {
          if (typeof sqlOrCursor !== "string") return client.query(sqlOrCursor as never);
          const name = nameOf(sqlOrCursor);
          if (name === undefined) return client.query(sqlOrCursor, parameters ?? []);
          return client.query({ name, text: sqlOrCursor, values: [...(parameters ?? [])] }).catch((err: unknown) => {
            if ((err as { code?: unknown }).code !== PLAN_CHANGED) throw err;
            names.delete(sqlOrCursor);
            return client.query(sqlOrCursor, parameters ?? []);
          });
        },
        release: () => client.release(),
      } as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}
