// Validation of UserService requests: every bad field is reported at once as
// INVALID_ARGUMENT with field violations, before anything is read or written.
import { createHash } from "node:crypto";
import type {
  CreateUserRequest,
  ListUsersRequest,
  UpdateUserRequest,
} from "../../gen/mesh/user/v1/user_pb.js";
import { invalidArgument } from "../platform/errors.js";
import { decodePageToken, encodePageToken, parseOrderBy, parsePageSize, type PageRequest } from "../platform/pagination.js";
import { Violations } from "../platform/validation.js";
import { sortValue, USER_SORT_FIELDS, type UserFilter, type UserPage, type UserSortField } from "./repository.js";
import type { UserUpdate } from "./schema.js";

export const NAME_MAX = 100;
export const AGE_MAX = 150;
export const SALARY_MAX = 1_000_000_000;

export interface ListParams {
  readonly filter: UserFilter;
  readonly page: PageRequest<UserSortField>;
}

export interface CreateParams {
  readonly name: string;
  readonly email: string;
  readonly age: number;
  readonly salary: number;
  readonly departmentId: string | null;
  readonly requestId: string | null;
  /** Hash of the content, to tell a retry from a reused request id. */
  readonly requestHash: string;
}

export function parseId(field: string, id: string): string {
  const v = new Violations();
  v.id(field, id);
  v.throwIfAny();
  return id;
}

export function parseListRequest(req: Pick<ListUsersRequest, "pageSize" | "pageToken" | "orderBy" | "departmentId" | "nameContains">): ListParams {
  const v = new Violations();
  const pageSize = parsePageSize(v, req.pageSize);
  const orderBy = parseOrderBy<UserSortField>(v, req.orderBy, USER_SORT_FIELDS, { field: "create_time", direction: "asc" });
  v.optionalId("department_id", req.departmentId);
  if (req.nameContains !== "") v.text("name_contains", req.nameContains, 1, NAME_MAX);
  const filter: UserFilter = {
    departmentId: req.departmentId || undefined,
    nameContains: req.nameContains.trim() || undefined,
  };
  const after = v.count === 0 ? decodePageToken(v, req.pageToken, USER_SORT_FIELDS[orderBy.field], orderBy, filter) : undefined;
  v.throwIfAny();
  return { filter, page: { pageSize, orderBy, after } };
}

export function parseCreateRequest(req: CreateUserRequest): CreateParams {
  const v = new Violations();
  const name = v.text("name", req.name, 1, NAME_MAX);
  const email = v.email("email", req.email);
  v.range("age", req.age, 0, AGE_MAX);
  v.range("salary", req.salary, 0, SALARY_MAX);
  v.optionalId("department_id", req.departmentId);
  v.requestId("request_id", req.requestId);
  v.throwIfAny();
  const content = { name, email, age: req.age, salary: req.salary, departmentId: req.departmentId || null };
  return {
    ...content,
    requestId: req.requestId || null,
    requestHash: createHash("sha256").update(JSON.stringify(content)).digest("base64url"),
  };
}

const UPDATABLE_PATHS = ["name", "email", "age", "salary", "department_id"] as const;

/** The id and the columns to change; an empty update_mask means every updatable field. */
export function parseUpdateRequest(req: UpdateUserRequest): { id: string; patch: UserUpdate } {
  const user = req.user;
  if (user === undefined) throw invalidArgument([{ field: "user", description: "is required" }]);
  const v = new Violations();
  v.id("user.id", user.id);
  const paths = req.updateMask?.paths.length ? req.updateMask.paths : [...UPDATABLE_PATHS];
  const patch: UserUpdate = {};
  for (const path of paths) {
    switch (path) {
      case "name":
        patch.name = v.text("user.name", user.name, 1, NAME_MAX);
        break;
      case "email":
        patch.email = v.email("user.email", user.email);
        break;
      case "age":
        v.range("user.age", user.age, 0, AGE_MAX);
        patch.age = user.age;
        break;
      case "salary":
        v.range("user.salary", user.salary, 0, SALARY_MAX);
        patch.salary = user.salary;
        break;
      case "department_id":
        v.optionalId("user.department_id", user.departmentId);
        patch.department_id = user.departmentId || null;
        break;
      default:
        v.add("update_mask", `unknown or immutable path "${path}"; updatable: ${UPDATABLE_PATHS.join(", ")}`);
    }
  }
  v.throwIfAny();
  return { id: user.id, patch };
}

/** The token of the page after `rows`, or "" on the last page. */
export function nextPageToken(params: ListParams, page: UserPage): string {
  const last = page.rows.at(-1);
  if (!page.hasMore || last === undefined) return "";
  return encodePageToken(params.page.orderBy, params.filter, {
    value: sortValue(last, params.page.orderBy.field),
    id: last.id,
  });
}
