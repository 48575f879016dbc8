// Inserts the reference users; rows that exist already are left as they are.
import type { Kysely } from "kysely";
import { REFERENCE_USERS } from "../platform/reference-data.js";
import type { UserDatabase } from "./schema.js";

export async function seedUsers(db: Kysely<UserDatabase>): Promise<void> {
  await db
    .insertInto("users")
    .values(
      REFERENCE_USERS.map((u) => ({
        id: u.id,
        name: u.name,
        email: u.email,
        age: u.age,
        salary: u.salary,
        department_id: u.departmentId,
        request_id: null,
        request_hash: null,
      })),
    )
    .onConflict((oc) => oc.doNothing())
    .execute();
}
