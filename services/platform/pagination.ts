// The list convention shared by every List RPC: bounded page_size, order_by from
// a whitelist with asc/desc, and an opaque keyset page_token bound to the query
// it came from (a token from another order or filter is rejected).
import { createHash } from "node:crypto";
import { isUuid } from "./ids.js";
import type { Violations } from "./validation.js";

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

/** How a sortable field's values travel in a page token. */
export type SortKind = "string" | "number" | "timestamp";

export interface OrderBy<F extends string> {
  readonly field: F;
  readonly direction: "asc" | "desc";
}

/** The position after the last row of a page: its sort value and id. */
export interface Cursor {
  readonly value: string | number | Date;
  readonly id: string;
}

export interface PageRequest<F extends string> {
  readonly pageSize: number;
  readonly orderBy: OrderBy<F>;
  readonly after: Cursor | undefined;
}

export function parsePageSize(v: Violations, value: number): number {
  if (value === 0) return DEFAULT_PAGE_SIZE;
  if (value < 0 || value > MAX_PAGE_SIZE) {
    v.add("page_size", `must be between 0 and ${MAX_PAGE_SIZE} (0 means ${DEFAULT_PAGE_SIZE})`);
    return DEFAULT_PAGE_SIZE;
  }
  return value;
}

export function parseOrderBy<F extends string>(
  v: Violations,
  value: string,
  fields: Readonly<Record<F, SortKind>>,
  fallback: OrderBy<F>,
): OrderBy<F> {
  const text = value.trim();
  if (text === "") return fallback;
  const match = /^([a-z_]+)(?:\s+(asc|desc))?$/i.exec(text);
  const field = match?.[1]?.toLowerCase();
  if (match === null || field === undefined || !Object.hasOwn(fields, field)) {
    v.add("order_by", `must be one of ${Object.keys(fields).join(", ")}, optionally followed by asc or desc`);
    return fallback;
  }
  const direction = (match[2]?.toLowerCase() ?? "asc") as "asc" | "desc";
  return { field: field as F, direction };
}

interface TokenBody {
  /** Binding: a hash of the order and filters the token belongs to. */
  b: string;
  /** Sort value of the last row (timestamps as epoch milliseconds). */
  k: string | number;
  /** Id of the last row. */
  i: string;
}

function binding(orderBy: OrderBy<string>, filters: unknown): string {
  return createHash("sha256")
    .update(JSON.stringify([orderBy.field, orderBy.direction, filters]))
    .digest("base64url")
    .slice(0, 16);
}

export function encodePageToken(orderBy: OrderBy<string>, filters: unknown, last: Cursor): string {
  const k = last.value instanceof Date ? last.value.getTime() : last.value;
  const body: TokenBody = { b: binding(orderBy, filters), k, i: last.id };
  return Buffer.from(JSON.stringify(body)).toString("base64url");
}

/** Decodes a page token, adding a violation when it is malformed or belongs to another query. */
export function decodePageToken(
  v: Violations,
  token: string,
  kind: SortKind,
  orderBy: OrderBy<string>,
  filters: unknown,
): Cursor | undefined {
  if (token === "") return undefined;
  let parsed: unknown;
  try {
    parsed = /^[A-Za-z0-9_-]{1,2048}$/.test(token) ? JSON.parse(Buffer.from(token, "base64url").toString("utf8")) : undefined;
  } catch {
    parsed = undefined;
  }
  const body = typeof parsed === "object" && parsed !== null ? (parsed as Partial<TokenBody>) : undefined;
  const valueOk =
    body !== undefined &&
    (kind === "string" ? typeof body.k === "string" : typeof body.k === "number" && Number.isFinite(body.k));
  if (body === undefined || !valueOk || typeof body.i !== "string" || !isUuid(body.i) || typeof body.b !== "string") {
    v.add("page_token", "is not a page token returned by this method");
    return undefined;
  }
  if (body.b !== binding(orderBy, filters)) {
    v.add("page_token", "belongs to a different order_by or filter; start again without a page_token");
    return undefined;
  }
  const value = kind === "timestamp" ? new Date(body.k as number) : (body.k as string | number);
  return { value, id: body.i };
}
