// Table types of the department database (Kysely). Result types are derived, never the table interfaces.
import type { ColumnType, Insertable, Selectable, Updateable } from "kysely";

export interface DepartmentTable {
  id: string;
  /** Unique without regard to case (a unique index on lower(name)). */
  name: string;
  /** "" when unknown. */
  address: string;
  /** "" when unknown. */
  city: string;
  /** Idempotency key of the CreateDepartment call that made the row. */
  request_id: string | null;
  /** Hash of that call's content, to reject a reused key with other content. */
  request_hash: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface DepartmentDatabase {
  departments: DepartmentTable;
}

export type DepartmentRow = Selectable<DepartmentTable>;
export type NewDepartment = Insertable<DepartmentTable>;
export type DepartmentUpdate = Updateable<DepartmentTable>;
