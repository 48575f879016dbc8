// UserService handlers: validation, mapping and codes. SQL lives in repository.ts.
import type { ServiceImpl } from "@connectrpc/connect";
import { UserService } from "../../gen/mesh/user/v1/user_pb.js";
import { alreadyExists, invalidArgument, notFound } from "../platform/errors.js";
import { newId } from "../platform/ids.js";
import { userRowToMessage } from "./mappers.js";
import * as repo from "./repository.js";
import type { UserServiceDeps } from "./deps.js";
import { nextPageToken, parseCreateRequest, parseId, parseListRequest, parseUpdateRequest } from "./requests.js";
import type { UserRow } from "./schema.js";
import { getUserStatistics } from "./statistics.js";

export function createUserService(deps: UserServiceDeps): ServiceImpl<typeof UserService> {
  const { db } = deps;

  async function requireUser(id: string): Promise<UserRow> {
    const row = await repo.findUserById(db, id);
    if (row === undefined) throw notFound("user", id);
    return row;
  }

  return {
    async getUser(req) {
      const row = await requireUser(parseId("id", req.id));
      return { user: userRowToMessage(row) };
    },

    async listUsers(req) {
      const params = parseListRequest(req);
      const [page, totalSize] = await Promise.all([
        repo.listUsers(db, params.filter, params.page),
        repo.countUsers(db, params.filter),
      ]);
      return { users: page.rows.map(userRowToMessage), nextPageToken: nextPageToken(params, page), totalSize };
    },

    async createUser(req) {
      const params = parseCreateRequest(req);
      if (params.requestId !== null) {
        const earlier = await repo.findUserByRequestId(db, params.requestId);
        if (earlier !== undefined) return { user: userRowToMessage(sameRequest(earlier, params.requestHash)) };
      }
      const result = await repo.insertUser(db, {
        id: newId(),
        name: params.name,
        email: params.email,
        age: params.age,
        salary: params.salary,
        department_id: params.departmentId,
        request_id: params.requestId,
        request_hash: params.requestId === null ? null : params.requestHash,
      });
      if (result.ok) {
        deps.metrics?.userCreated();
        return { user: userRowToMessage(result.row) };
      }
      if (params.requestId !== null) {
        // A concurrent retry may have won the race (its row can break the email
        // constraint before the request id one): answer as it did.
        const earlier = await repo.findUserByRequestId(db, params.requestId);
        if (earlier !== undefined) return { user: userRowToMessage(sameRequest(earlier, params.requestHash)) };
      }
      throw alreadyExists("user", "email", params.email);
    },

    async updateUser(req) {
      const { id, patch } = parseUpdateRequest(req);
      const result = await repo.updateUser(db, id, patch);
      if (result === undefined) throw notFound("user", id);
      if (!result.ok) throw alreadyExists("user", "email", patch.email ?? "");
      return { user: userRowToMessage(result.row) };
    },

    async deleteUser(req) {
      const id = parseId("id", req.id);
      if (!(await repo.deleteUser(db, id))) throw notFound("user", id);
      return {};
    },

    getUserStatistics: (req, ctx) => getUserStatistics(deps, req, ctx),
  };
}

/** The row made by an earlier call with the same request id, if that call had the same content. */
function sameRequest(row: UserRow, requestHash: string): UserRow {
  if (row.request_hash !== requestHash) {
    throw invalidArgument([{ field: "request_id", description: "was already used for a different request" }]);
  }
  return row;
}
