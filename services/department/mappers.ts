// Row -> message mapping for departments.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Department, DepartmentSchema } from "../../gen/mesh/department/v1/department_pb.js";
import type { DepartmentRow } from "./schema.js";

export function departmentRowToMessage(row: DepartmentRow): Department {
  return create(DepartmentSchema, {
    id: row.id,
    name: row.name,
    address: row.address,
    city: row.city,
    createTime: timestampFromDate(row.created_at),
    updateTime: timestampFromDate(row.updated_at),
  });
}
