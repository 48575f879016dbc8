// Validation of PointService requests: every bad field at once, before any read or write.
import { createHash } from "node:crypto";
import type { AddPointsRequest } from "../../gen/mesh/point/v1/point_pb.js";
import { Violations } from "../platform/validation.js";

export const MAX_BATCH = 1000;
export const MAX_DELTA = 1_000_000_000n;
export const MAX_TOP = 100;
export const DEFAULT_TOP = 10;

export interface AddParams {
  readonly userId: string;
  readonly delta: bigint;
  readonly reason: string;
  readonly requestId: string | null;
  readonly requestHash: string;
}

export function parseUserId(userId: string): string {
  const v = new Violations();
  v.id("user_id", userId);
  v.throwIfAny();
  return userId;
}

export function parseUserIds(userIds: readonly string[]): string[] {
  const v = new Violations();
  if (userIds.length === 0) v.add("user_ids", "must name at least one user");
  else if (userIds.length > MAX_BATCH) v.add("user_ids", `must name at most ${MAX_BATCH} users`);
  else userIds.forEach((id, i) => v.id(`user_ids[${i}]`, id));
  v.throwIfAny();
  return [...new Set(userIds)];
}

export function parseAddRequest(req: AddPointsRequest): AddParams {
  const v = new Violations();
  v.id("user_id", req.userId);
  if (req.delta === 0n) v.add("delta", "must not be zero");
  else v.range("delta", req.delta, -MAX_DELTA, MAX_DELTA);
  const reason = req.reason === "" ? "" : v.text("reason", req.reason, 0, 200);
  v.requestId("request_id", req.requestId);
  v.throwIfAny();
  const content = JSON.stringify([req.userId, req.delta.toString(), reason]);
  return {
    userId: req.userId,
    delta: req.delta,
    reason,
    requestId: req.requestId || null,
    requestHash: createHash("sha256").update(content).digest("base64url"),
  };
}

export function parseLimit(limit: number): number {
  const v = new Violations();
  if (limit !== 0) v.range("limit", limit, 1, MAX_TOP);
  v.throwIfAny();
  return limit === 0 ? DEFAULT_TOP : limit;
}
