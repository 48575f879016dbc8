// Row <-> message mapping for users, one function per direction.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type User, UserSchema } from "../../gen/mesh/user/v1/user_pb.js";
import type { UserRow } from "./schema.js";

export function userRowToMessage(row: UserRow): User {
  return create(UserSchema, {
    id: row.id,
    name: row.name,
    email: row.email,
    age: row.age,
    salary: row.salary,
    departmentId: row.department_id ?? "",
    createTime: timestampFromDate(row.created_at),
    updateTime: timestampFromDate(row.updated_at),
  });
}
