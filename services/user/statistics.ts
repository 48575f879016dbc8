// GetUserStatistics: one page of users joined with their points and department
// names from two other services, plus figures over every matching user.
//
// The page query and the one-statement aggregate run concurrently; then one
// BatchGetUserPoints and one BatchGetDepartments run concurrently under the
// caller's deadline. A failed branch leaves its part out and names it in
// `degraded` instead of failing the call.
import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type GetUserStatisticsRequest,
  type GetUserStatisticsResponse,
  GetUserStatisticsResponseSchema,
  NumericSummarySchema,
} from "../../gen/mesh/user/v1/user_pb.js";
import { fanOut } from "../platform/fan-out.js";
import { upstreamCallOptions } from "../platform/upstream.js";
import { userRowToMessage } from "./mappers.js";
import * as repo from "./repository.js";
import type { UserServiceDeps } from "./deps.js";
import { nextPageToken, parseListRequest } from "./requests.js";

export async function getUserStatistics(
  deps: UserServiceDeps,
  req: GetUserStatisticsRequest,
  ctx: HandlerContext,
): Promise<GetUserStatisticsResponse> {
  const params = parseListRequest(req);
  const [page, summary] = await Promise.all([
    repo.listUsers(deps.db, params.filter, params.page),
    repo.summariseUsers(deps.db, params.filter),
  ]);

  const userIds = page.rows.map((row) => row.id);
  const departmentIds = [...new Set(page.rows.flatMap((row) => (row.department_id === null ? [] : [row.department_id])))];
  const { values, missing } = await fanOut(
    ctx.signal,
    {
      points: async () =>
        userIds.length === 0
          ? {}
          : (await deps.points.batchGetUserPoints({ userIds }, upstreamCallOptions(ctx, deps.upstreamTimeoutMs))).points,
      departments: async () =>
        departmentIds.length === 0
          ? {}
          : (await deps.departments.batchGetDepartments({ ids: departmentIds }, upstreamCallOptions(ctx, deps.upstreamTimeoutMs)))
              .departments,
    },
    deps.logger,
    deps.observeFanOut,
  );

  return create(GetUserStatisticsResponseSchema, {
    users: page.rows.map((row) => ({
      user: userRowToMessage(row),
      points: values.points === undefined ? undefined : (values.points[row.id] ?? 0n),
      departmentName: row.department_id === null ? undefined : values.departments?.[row.department_id]?.name,
    })),
    nextPageToken: nextPageToken(params, page),
    totalSize: summary.count,
    age: summary.age && create(NumericSummarySchema, summary.age),
    salary: summary.salary && create(NumericSummarySchema, summary.salary),
    degraded: missing,
  });
}
