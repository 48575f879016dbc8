// Inserts the reference departments with their fixed ids (the user service's
// seed points at them); rows that exist already are left as they are.
import type { Kysely } from "kysely";
import { REFERENCE_DEPARTMENTS } from "../platform/reference-data.js";
import type { DepartmentDatabase } from "./schema.js";

export async function seedDepartments(db: Kysely<DepartmentDatabase>): Promise<void> {
  await db
    .insertInto("departments")
    .values(
      REFERENCE_DEPARTMENTS.map((d) => ({
        id: d.id,
        name: d.name,
        address: d.address,
        city: d.city,
        request_id: null,
        request_hash: null,
      })),
    )
    .onConflict((oc) => oc.doNothing())
    .execute();
}
