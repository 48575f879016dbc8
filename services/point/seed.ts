// Gives each reference user their reference points as one ledger entry;
// entries that exist already (by request id) are left as they are, also when
// another replica writes them at the same moment.
import type { Kysely } from "kysely";
import { uniqueViolation } from "../platform/database.js";
import { REFERENCE_USERS } from "../platform/reference-data.js";
import * as repo from "./repository.js";
import type { PointDatabase } from "./schema.js";

export async function seedPoints(db: Kysely<PointDatabase>): Promise<void> {
  for (const [i, user] of REFERENCE_USERS.entries()) {
    const requestId = `seed:${user.id}`;
    if ((await repo.findEntryByRequestId(db, requestId)) !== undefined) continue;
    try {
      await repo.addEntry(db, {
        id: `01900000-0000-7000-8000-0000000001${String(i).padStart(2, "0")}`,
        user_id: user.id,
        delta: BigInt(user.points),
        reason: "reference data",
        request_id: requestId,
        request_hash: null,
      });
    } catch (err) {
      // A replica starting at the same moment wrote this fixed entry first (its transaction, balance included, rolled back).
      if (uniqueViolation(err) === undefined) throw err;
    }
  }
}
