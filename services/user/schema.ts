// Table types of the user database (Kysely). Result types are derived, never the table interfaces.
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";

export interface UserTable {
  id: string;
  name: string;
  /** Stored lower-case; unique. */
  email: string;
  age: number;
  salary: number;
  department_id: string | null;
  /** Idempotency key of the CreateUser call that made the row. */
  request_id: string | null;
  /** Hash of that call's content, to reject a reused key with other content. */
  request_hash: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface UserDatabase {
  users: UserTable;
}

export type UserRow = Selectable<UserTable>;
export type NewUser = Insertable<UserTable>;
export type UserUpdate = Updateable<UserTable>;
export type { Generated };
