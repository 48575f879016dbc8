// Kysely queries of the user database. Knows nothing of protobuf or RPC errors.
import { type ExpressionBuilder, type Kysely, sql } from "kysely";
import { toNumber, uniqueViolation } from "../platform/database.js";
import type { PageRequest } from "../platform/pagination.js";
import type { NewUser, UserDatabase, UserRow, UserUpdate } from "./schema.js";

type Db = Kysely<UserDatabase>;

export const USER_SORT_FIELDS = {
  name: "string",
  email: "string",
  age: "number",
  salary: "number",
  create_time: "timestamp",
} as const;
export type UserSortField = keyof typeof USER_SORT_FIELDS;

const SORT_COLUMNS: Readonly<Record<UserSortField, keyof UserRow>> = {
  name: "name",
  email: "email",
  age: "age",
  salary: "salary",
  create_time: "created_at",
};

export interface UserFilter {
  readonly departmentId?: string | undefined;
  readonly nameContains?: string | undefined;
}

export interface UserPage {
  readonly rows: UserRow[];
  /** True when rows exist after the last one. */
  readonly hasMore: boolean;
}

export interface NumericFigures {
  readonly min: number;
  readonly max: number;
  readonly avg: number;
}

export interface UserSummary {
  readonly count: number;
  /** Undefined when no user matches. */
  readonly age: NumericFigures | undefined;
  readonly salary: NumericFigures | undefined;
}

export type WriteResult = { ok: true; row: UserRow } | { ok: false; conflict: "email" | "request_id" };

export function sortValue(row: UserRow, field: UserSortField): string | number | Date {
  return row[SORT_COLUMNS[field]] as string | number | Date;
}

function matching(filter: UserFilter) {
  return (eb: ExpressionBuilder<UserDatabase, "users">) => {
    const conditions = [];
    if (filter.departmentId) conditions.push(eb("department_id", "=", filter.departmentId));
    // strpos instead of LIKE: the text is data, never a pattern.
    if (filter.nameContains) conditions.push(eb(sql`strpos(lower(name), lower(${filter.nameContains}))`, ">", 0));
    return eb.and(conditions);
  };
}

function conflictOf(err: unknown): "email" | "request_id" | undefined {
  const constraint = uniqueViolation(err);
  if (constraint === "users_email_key") return "email";
  if (constraint === "users_request_id_key") return "request_id";
  return undefined;
}

export async function findUserById(db: Db, id: string): Promise<UserRow | undefined> {
  return db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
}

export async function findUserByRequestId(db: Db, requestId: string): Promise<UserRow | undefined> {
  return db.selectFrom("users").selectAll().where("request_id", "=", requestId).executeTakeFirst();
}

export async function insertUser(db: Db, user: NewUser): Promise<WriteResult> {
  try {
    const row = await db.insertInto("users").values(user).returningAll().executeTakeFirstOrThrow();
    return { ok: true, row };
  } catch (err) {
    const conflict = conflictOf(err);
    if (conflict === undefined) throw err;
    return { ok: false, conflict };
  }
}

/** Updates the given columns; undefined when the user does not exist. */
export async function updateUser(db: Db, id: string, patch: UserUpdate): Promise<WriteResult | undefined> {
  try {
    const row = await db
      .updateTable("users")
      .set({ ...patch, updated_at: new Date() })
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? undefined : { ok: true, row };
  } catch (err) {
    const conflict = conflictOf(err);
    if (conflict === undefined) throw err;
    return { ok: false, conflict };
  }
}

/** True when a row was deleted. */
export async function deleteUser(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom("users").where("id", "=", id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** One page in (sort column, id) order, after the cursor; reads one extra row to know whether more follow. */
export async function listUsers(db: Db, filter: UserFilter, page: PageRequest<UserSortField>): Promise<UserPage> {
  const column = SORT_COLUMNS[page.orderBy.field];
  const direction = page.orderBy.direction;
  let query = db.selectFrom("users").selectAll().where(matching(filter));
  if (page.after !== undefined) {
    const after = page.after;
    // Row comparison: exact keyset semantics, one index range scan.
    query = query.where(
      sql<boolean>`(${sql.ref(column)}, id) ${sql.raw(direction === "asc" ? ">" : "<")} (${after.value}, ${after.id})`,
    );
  }
  const rows = await query
    .orderBy(column, direction)
    .orderBy("id", direction)
    .limit(page.pageSize + 1)
    .execute();
  const hasMore = rows.length > page.pageSize;
  return { rows: hasMore ? rows.slice(0, page.pageSize) : rows, hasMore };
}

export async function countUsers(db: Db, filter: UserFilter): Promise<number> {
  const { count } = await db
    .selectFrom("users")
    .where(matching(filter))
    .select((eb) => eb.fn.countAll().as("count"))
    .executeTakeFirstOrThrow();
  return toNumber(count);
}

/** Count and age/salary figures of every matching user, in one statement. */
export async function summariseUsers(db: Db, filter: UserFilter): Promise<UserSummary> {
  const row = await db
    .selectFrom("users")
    .where(matching(filter))
    .select((eb) => [
      eb.fn.countAll().as("count"),
      eb.fn.min("age").as("age_min"),
      eb.fn.max("age").as("age_max"),
      sql<string>`round(avg(age), 2)`.as("age_avg"),
      eb.fn.min("salary").as("salary_min"),
      eb.fn.max("salary").as("salary_max"),
      sql<string>`round(avg(salary), 2)`.as("salary_avg"),
    ])
    .executeTakeFirstOrThrow();
  const count = toNumber(row.count);
  if (count === 0) return { count, age: undefined, salary: undefined };
  return {
    count,
    age: { min: toNumber(row.age_min), max: toNumber(row.age_max), avg: toNumber(row.age_avg) },
    salary: { min: toNumber(row.salary_min), max: toNumber(row.salary_max), avg: toNumber(row.salary_avg) },
  };
}
