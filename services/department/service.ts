// DepartmentService handlers: validation, mapping and codes. SQL lives in repository.ts.
import type { ServiceImpl } from "@connectrpc/connect";
import type { DepartmentService } from "../../gen/mesh/department/v1/department_pb.js";
import { alreadyExists, invalidArgument, notFound } from "../platform/errors.js";
import { newId } from "../platform/ids.js";
import type { DepartmentServiceDeps } from "./deps.js";
import { departmentRowToMessage } from "./mappers.js";
import { getDepartmentReport } from "./report.js";
import * as repo from "./repository.js";
import { nextPageToken, parseCreateRequest, parseId, parseIds, parseListRequest, parseUpdateRequest } from "./requests.js";
import type { DepartmentRow } from "./schema.js";

export function createDepartmentService(deps: DepartmentServiceDeps): ServiceImpl<typeof DepartmentService> {
  const { db } = deps;

  async function requireDepartment(id: string): Promise<DepartmentRow> {
    const row = await repo.findDepartmentById(db, id);
    if (row === undefined) throw notFound("department", id);
    return row;
  }

  return {
    async getDepartment(req) {
      const row = await requireDepartment(parseId("id", req.id));
      return { department: departmentRowToMessage(row) };
    },

    async listDepartments(req) {
      const params = parseListRequest(req);
      const [page, totalSize] = await Promise.all([
        repo.listDepartments(db, params.filter, params.page),
        repo.countDepartments(db, params.filter),
      ]);
      return { departments: page.rows.map(departmentRowToMessage), nextPageToken: nextPageToken(params, page), totalSize };
    },

    async batchGetDepartments(req) {
      const rows = await repo.findDepartmentsByIds(db, parseIds(req.ids));
      return { departments: Object.fromEntries(rows.map((row) => [row.id, departmentRowToMessage(row)])) };
    },

    async createDepartment(req) {
      const params = parseCreateRequest(req);
      if (params.requestId !== null) {
        const earlier = await repo.findDepartmentByRequestId(db, params.requestId);
        if (earlier !== undefined) return { department: departmentRowToMessage(sameRequest(earlier, params.requestHash)) };
      }
      const result = await repo.insertDepartment(db, {
        id: newId(),
        name: params.name,
        address: params.address,
        city: params.city,
        request_id: params.requestId,
        request_hash: params.requestId === null ? null : params.requestHash,
      });
      if (result.ok) return { department: departmentRowToMessage(result.row) };
      if (params.requestId !== null) {
        // A concurrent retry may have won the race (its row can break the name
        // constraint before the request id one): answer as it did.
        const earlier = await repo.findDepartmentByRequestId(db, params.requestId);
        if (earlier !== undefined) return { department: departmentRowToMessage(sameRequest(earlier, params.requestHash)) };
      }
      throw alreadyExists("department", "name", params.name);
    },

    async updateDepartment(req) {
      const { id, patch } = parseUpdateRequest(req);
      const result = await repo.updateDepartment(db, id, patch);
      if (result === undefined) throw notFound("department", id);
      if (!result.ok) throw alreadyExists("department", "name", patch.name ?? "");
      return { department: departmentRowToMessage(result.row) };
    },

    async deleteDepartment(req) {
      const id = parseId("id", req.id);
      if (!(await repo.deleteDepartment(db, id))) throw notFound("department", id);
      return {};
    },

    async getDepartmentReport(req, ctx) {
      const department = await requireDepartment(parseId("id", req.id));
      return getDepartmentReport(deps, department, ctx);
    },
  };
}

/** The row made by an earlier call with the same request id, if that call had the same content. */
function sameRequest(row: DepartmentRow, requestHash: string): DepartmentRow {
  if (row.request_hash !== requestHash) {
    throw invalidArgument([{ field: "request_id", description: "was already used for a different request" }]);
  }
  return row;
}
