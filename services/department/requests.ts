// Validation of DepartmentService requests: every bad field is reported at once
// as INVALID_ARGUMENT with field violations, before anything is read or written.
import { createHash } from "node:crypto";
import type {
  CreateDepartmentRequest,
  ListDepartmentsRequest,
  UpdateDepartmentRequest,
} from "../../gen/mesh/department/v1/department_pb.js";
import { invalidArgument } from "../platform/errors.js";
import { decodePageToken, encodePageToken, parseOrderBy, parsePageSize, type PageRequest } from "../platform/pagination.js";
import { Violations } from "../platform/validation.js";
import {
  DEPARTMENT_SORT_FIELDS,
  sortValue,
  type DepartmentFilter,
  type DepartmentPage,
  type DepartmentSortField,
} from "./repository.js";
import type { DepartmentUpdate } from "./schema.js";

export const NAME_MAX = 100;
export const ADDRESS_MAX = 200;
export const CITY_MAX = 100;
export const MAX_BATCH = 1000;

export interface ListParams {
  readonly filter: DepartmentFilter;
  readonly page: PageRequest<DepartmentSortField>;
}

export interface CreateParams {
  readonly name: string;
  readonly address: string;
  readonly city: string;
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

export function parseIds(ids: readonly string[]): string[] {
  const v = new Violations();
  if (ids.length === 0) v.add("ids", "must name at least one department");
  else if (ids.length > MAX_BATCH) v.add("ids", `must name at most ${MAX_BATCH} departments`);
  else ids.forEach((id, i) => v.id(`ids[${i}]`, id));
  v.throwIfAny();
  return [...new Set(ids)];
}

/** Optional text: "" stays "", anything else is trimmed and checked (length, control characters). */
function optionalText(v: Violations, field: string, value: string, maxLength: number): string {
  return value.trim() === "" ? "" : v.text(field, value, 0, maxLength);
}

export function parseListRequest(req: Pick<ListDepartmentsRequest, "pageSize" | "pageToken" | "orderBy" | "nameContains">): ListParams {
  const v = new Violations();
  const pageSize = parsePageSize(v, req.pageSize);
  const orderBy = parseOrderBy<DepartmentSortField>(v, req.orderBy, DEPARTMENT_SORT_FIELDS, {
    field: "create_time",
    direction: "asc",
  });
  if (req.nameContains !== "") v.text("name_contains", req.nameContains, 1, NAME_MAX);
  const filter: DepartmentFilter = { nameContains: req.nameContains.trim() || undefined };
  const after =
    v.count === 0 ? decodePageToken(v, req.pageToken, DEPARTMENT_SORT_FIELDS[orderBy.field], orderBy, filter) : undefined;
  v.throwIfAny();
  return { filter, page: { pageSize, orderBy, after } };
}

export function parseCreateRequest(req: CreateDepartmentRequest): CreateParams {
  const v = new Violations();
  const name = v.text("name", req.name, 1, NAME_MAX);
  const address = optionalText(v, "address", req.address, ADDRESS_MAX);
  const city = optionalText(v, "city", req.city, CITY_MAX);
  v.requestId("request_id", req.requestId);
  v.throwIfAny();
  const content = { name, address, city };
  return {
    ...content,
    requestId: req.requestId || null,
    requestHash: createHash("sha256").update(JSON.stringify(content)).digest("base64url"),
  };
}

const UPDATABLE_PATHS = ["name", "address", "city"] as const;

/** The id and the columns to change; an empty update_mask means every updatable field. */
export function parseUpdateRequest(req: UpdateDepartmentRequest): { id: string; patch: DepartmentUpdate } {
  const department = req.department;
  if (department === undefined) throw invalidArgument([{ field: "department", description: "is required" }]);
  const v = new Violations();
  v.id("department.id", department.id);
  const paths = req.updateMask?.paths.length ? req.updateMask.paths : [...UPDATABLE_PATHS];
  const patch: DepartmentUpdate = {};
  for (const path of paths) {
    switch (path) {
      case "name":
        patch.name = v.text("department.name", department.name, 1, NAME_MAX);
        break;
      case "address":
        patch.address = optionalText(v, "department.address", department.address, ADDRESS_MAX);
        break;
      case "city":
        patch.city = optionalText(v, "department.city", department.city, CITY_MAX);
        break;
      default:
        v.add("update_mask", `unknown or immutable path "${path}"; updatable: ${UPDATABLE_PATHS.join(", ")}`);
    }
  }
  v.throwIfAny();
  return { id: department.id, patch };
}

/** The token of the page after `rows`, or "" on the last page. */
export function nextPageToken(params: ListParams, page: DepartmentPage): string {
  const last = page.rows.at(-1);
  if (!page.hasMore || last === undefined) return "";
  return encodePageToken(params.page.orderBy, params.filter, {
    value: sortValue(last, params.page.orderBy.field),
    id: last.id,
  });
}
