// GetDepartmentReport: a department joined with its users (user service) and
// their points (point service). The user branch runs first (its ids feed the
// point branch); each branch fails on its own and is named in `degraded`, and
// every call carries the caller's remaining deadline and cancellation.
import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type GetDepartmentReportResponse,
  GetDepartmentReportResponseSchema,
  NumericSummarySchema,
} from "../../gen/mesh/department/v1/department_pb.js";
import { fanOut } from "../platform/fan-out.js";
import { upstreamCallOptions } from "../platform/upstream.js";
import type { DepartmentServiceDeps } from "./deps.js";
import { type Figures, type Member, summarise, topUsers, totalPoints } from "./figures.js";
import { departmentRowToMessage } from "./mappers.js";
import type { DepartmentRow } from "./schema.js";

/** The largest page ListUsers serves. */
export const USER_PAGE_SIZE = 1000;
/** The most ids BatchGetUserPoints takes in one call. */
export const POINT_BATCH_SIZE = 1000;
/** Past this many pages the user branch gives up (a runaway token loop, or a department too large for one report). */
export const MAX_USER_PAGES = 100;

export async function getDepartmentReport(
  deps: DepartmentServiceDeps,
  department: DepartmentRow,
  ctx: HandlerContext,
): Promise<GetDepartmentReportResponse> {
  // fanOut with one branch: a failure becomes "missing" (and is logged), while
  // the caller's own deadline or cancellation still fails the whole call.
  const users = await fanOut(ctx.signal, { users: () => listMembers(deps, department.id, ctx) }, deps.logger, deps.observeFanOut);
  const members = users.values.users;
  const points =
    members === undefined
      ? undefined
      : (await fanOut(ctx.signal, { points: () => fetchPoints(deps, members, ctx) }, deps.logger, deps.observeFanOut)).values.points;

  return create(GetDepartmentReportResponseSchema, {
    department: departmentRowToMessage(department),
    headcount: members?.length,
    age: summary(members?.map((m) => m.age)),
    salary: summary(members?.map((m) => m.salary)),
    totalPoints: members && points && totalPoints(members, points),
    topUsers: members && points ? topUsers(members, points) : [],
    // Without the users there is nobody to ask points for.
    degraded: members === undefined ? ["users", "points"] : points === undefined ? ["points"] : [],
  });
}

function summary(values: number[] | undefined) {
  const figures: Figures | undefined = values && summarise(values);
  return figures && create(NumericSummarySchema, figures);
}

/** Every user of the department, through all pages of ListUsers. */
async function listMembers(deps: DepartmentServiceDeps, departmentId: string, ctx: HandlerContext): Promise<Member[]> {
  const members: Member[] = [];
  let pageToken = "";
  for (let page = 0; page < MAX_USER_PAGES; page++) {
    const res = await deps.users.listUsers(
      { departmentId, pageSize: USER_PAGE_SIZE, pageToken },
      upstreamCallOptions(ctx, deps.upstreamTimeoutMs),
    );
    for (const u of res.users) members.push({ id: u.id, name: u.name, age: u.age, salary: u.salary });
    pageToken = res.nextPageToken;
    if (pageToken === "") return members;
  }
  throw new Error(`department ${departmentId} has more than ${MAX_USER_PAGES} pages of users`);
}

/**
 * The members' points. One BatchGetUserPoints call; a department larger than
 * the point service's batch limit takes one call per batch, concurrently.
 */
async function fetchPoints(deps: DepartmentServiceDeps, members: readonly Member[], ctx: HandlerContext): Promise<Map<string, bigint>> {
  const batches: string[][] = [];
  for (let i = 0; i < members.length; i += POINT_BATCH_SIZE) {
    batches.push(members.slice(i, i + POINT_BATCH_SIZE).map((m) => m.id));
  }
  const answers = await Promise.all(
    batches.map((userIds) => deps.points.batchGetUserPoints({ userIds }, upstreamCallOptions(ctx, deps.upstreamTimeoutMs))),
  );
  return new Map(answers.flatMap((answer) => Object.entries(answer.points)));
}
