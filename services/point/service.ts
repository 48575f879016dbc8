// PointService handlers: validation, mapping and codes. SQL lives in repository.ts.
import type { ServiceImpl } from "@connectrpc/connect";
import type { Kysely } from "kysely";
import type { PointService } from "../../gen/mesh/point/v1/point_pb.js";
import { toBigInt } from "../platform/database.js";
import { failedPrecondition, invalidArgument } from "../platform/errors.js";
import { newId } from "../platform/ids.js";
import { entryRowToMessage } from "./mappers.js";
import type { PointMetrics } from "./metrics.js";
import * as repo from "./repository.js";
import { parseAddRequest, parseLimit, parseUserId, parseUserIds, type AddParams } from "./requests.js";
import type { PointDatabase, PointEntryRow } from "./schema.js";

export interface PointServiceDeps {
  readonly db: Kysely<PointDatabase>;
  /** Domain counters; absent in tests that do not look at them. */
  readonly metrics?: PointMetrics;
}

export function createPointService(deps: PointServiceDeps): ServiceImpl<typeof PointService> {
  const { db } = deps;

  /** The answer of an earlier call with the same request id, if it had the same content. */
  function replay(row: PointEntryRow, params: AddParams) {
    if (row.request_hash !== params.requestHash) {
      throw invalidArgument([{ field: "request_id", description: "was already used for a different request" }]);
    }
    return { entry: entryRowToMessage(row), points: toBigInt(row.balance_after) };
  }

  return {
    async getUserPoints(req) {
      const userId = parseUserId(req.userId);
      const balances = await repo.findBalances(db, [userId]);
      return { userId, points: balances.get(userId) ?? 0n };
    },

    async batchGetUserPoints(req) {
      const userIds = parseUserIds(req.userIds);
      const balances = await repo.findBalances(db, userIds);
      return { points: Object.fromEntries(userIds.map((id) => [id, balances.get(id) ?? 0n])) };
    },

    async addPoints(req) {
      const params = parseAddRequest(req);
      if (params.requestId !== null) {
        const earlier = await repo.findEntryByRequestId(db, params.requestId);
        if (earlier !== undefined) return replay(earlier, params);
      }
      const result = await repo.addEntry(db, {
        id: newId(),
        user_id: params.userId,
        delta: params.delta,
        reason: params.reason,
        request_id: params.requestId,
        request_hash: params.requestId === null ? null : params.requestHash,
      });
      if (result.ok) {
        deps.metrics?.entryAdded(params.delta);
        return { entry: entryRowToMessage(result.entry), points: result.points };
      }
      if (result.reason === "insufficient_points") {
        throw failedPrecondition("INSUFFICIENT_POINTS", "the entry would take the user's points below zero", {
          user_id: params.userId,
        });
      }
      // A concurrent call with the same request id committed first: answer as it did.
      const earlier = await repo.findEntryByRequestId(db, params.requestId ?? "");
      if (earlier === undefined) throw new Error("request id conflict without an entry");
      return replay(earlier, params);
    },

    async listTopUsers(req) {
      const limit = parseLimit(req.limit);
      const top = await repo.listTopBalances(db, limit);
      return { users: top.map((t) => ({ userId: t.userId, points: t.points })) };
    },
  };
}
