// Kysely queries of the department database. Knows nothing of protobuf or RPC errors.
import { type ExpressionBuilder, type Kysely, sql } from "kysely";
import { toNumber, uniqueViolation } from "../platform/database.js";
import type { PageRequest } from "../platform/pagination.js";
import type { DepartmentDatabase, DepartmentRow, DepartmentUpdate, NewDepartment } from "./schema.js";

type Db = Kysely<DepartmentDatabase>;

export const DEPARTMENT_SORT_FIELDS = {
  name: "string",
  create_time: "timestamp",
} as const;
export type DepartmentSortField = keyof typeof DEPARTMENT_SORT_FIELDS;

const SORT_COLUMNS: Readonly<Record<DepartmentSortField, "name" | "created_at">> = {
  name: "name",
  create_time: "created_at",
};

export interface DepartmentFilter {
  readonly nameContains?: string | undefined;
}

export interface DepartmentPage {
  readonly rows: DepartmentRow[];
  /** True when rows exist after the last one. */
  readonly hasMore: boolean;
}

export type WriteResult = { ok: true; row: DepartmentRow } | { ok: false; conflict: "name" | "request_id" };

export function sortValue(row: DepartmentRow, field: DepartmentSortField): string | Date {
  return row[SORT_COLUMNS[field]];
}

function matching(filter: DepartmentFilter) {
  return (eb: ExpressionBuilder<DepartmentDatabase, "departments">) =>
    // strpos instead of LIKE: the text is data, never a pattern.
    filter.nameContains ? eb(sql`strpos(lower(name), lower(${filter.nameContains}))`, ">", 0) : eb.and([]);
}

function conflictOf(err: unknown): "name" | "request_id" | undefined {
  const constraint = uniqueViolation(err);
  if (constraint === "departments_name_key") return "name";
  if (constraint === "departments_request_id_key") return "request_id";
  return undefined;
}

export async function findDepartmentById(db: Db, id: string): Promise<DepartmentRow | undefined> {
  return db.selectFrom("departments").selectAll().where("id", "=", id).executeTakeFirst();
}

export async function findDepartmentsByIds(db: Db, ids: readonly string[]): Promise<DepartmentRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom("departments").selectAll().where("id", "in", ids).execute();
}

export async function findDepartmentByRequestId(db: Db, requestId: string): Promise<DepartmentRow | undefined> {
  return db.selectFrom("departments").selectAll().where("request_id", "=", requestId).executeTakeFirst();
}

export async function insertDepartment(db: Db, department: NewDepartment): Promise<WriteResult> {
  try {
    const row = await db.insertInto("departments").values(department).returningAll().executeTakeFirstOrThrow();
    return { ok: true, row };
  } catch (err) {
    const conflict = conflictOf(err);
    if (conflict === undefined) throw err;
    return { ok: false, conflict };
  }
}

/** Updates the given columns; undefined when the department does not exist. */
export async function updateDepartment(db: Db, id: string, patch: DepartmentUpdate): Promise<WriteResult | undefined> {
  try {
    const row = await db
      .updateTable("departments")
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
export async function deleteDepartment(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom("departments").where("id", "=", id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** One page in (sort column, id) order, after the cursor; reads one extra row to know whether more follow. */
export async function listDepartments(
  db: Db,
  filter: DepartmentFilter,
  page: PageRequest<DepartmentSortField>,
): Promise<DepartmentPage> {
  const column = SORT_COLUMNS[page.orderBy.field];
  const direction = page.orderBy.direction;
  let query = db.selectFrom("departments").selectAll().where(matching(filter));
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

export async function countDepartments(db: Db, filter: DepartmentFilter): Promise<number> {
  const { count } = await db
    .selectFrom("departments")
    .where(matching(filter))
    .select((eb) => eb.fn.countAll().as("count"))
    .executeTakeFirstOrThrow();
  return toNumber(count);
}
