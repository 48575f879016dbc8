// Row -> message mapping for ledger entries.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type PointEntry, PointEntrySchema } from "../../gen/mesh/point/v1/point_pb.js";
import { toBigInt } from "../platform/database.js";
import type { PointEntryRow } from "./schema.js";

export function entryRowToMessage(row: PointEntryRow): PointEntry {
  return create(PointEntrySchema, {
    id: row.id,
    userId: row.user_id,
    delta: toBigInt(row.delta),
    reason: row.reason,
    requestId: row.request_id ?? "",
    createTime: timestampFromDate(row.created_at),
  });
}
