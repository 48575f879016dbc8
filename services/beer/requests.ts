// Validation of BeerService requests: every bad field is reported at once as
// INVALID_ARGUMENT with field violations, before anything is read or written.
import { createHash } from "node:crypto";
import type { AddBeerRequest, ListBeersRequest, RenameBeerRequest } from "../../gen/mesh/beer/v1/beer_pb.js";
import { decodePageToken, encodePageToken, parseOrderBy, parsePageSize, type PageRequest } from "../platform/pagination.js";
import { Violations } from "../platform/validation.js";
import { BEER_SORT_FIELDS, sortValue, type BeerFilter, type BeerPage, type BeerSortField } from "./repository.js";

export const NAME_MAX = 100;
export const STYLE_MAX = 100;
export const ABV_MAX = 70;
/** The largest value of a PostgreSQL bigint: no sequence number goes past it. */
const MAX_SEQ = 2n ** 63n - 1n;
const CURSOR_PATTERN = /^(0|[1-9][0-9]{0,18})$/;

export interface ListParams {
  readonly filter: BeerFilter;
  readonly page: PageRequest<BeerSortField>;
}

export interface AddParams {
  readonly name: string;
  readonly style: string;
  readonly abv: number | null;
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

/** An optional ABV: a finite number from 0 to 70 (NaN and infinities are not ABVs). */
function abv(v: Violations, field: string, value: number | undefined): number | null {
  if (value === undefined) return null;
  if (!Number.isFinite(value) || value < 0 || value > ABV_MAX) {
    v.add(field, `must be a number from 0 to ${ABV_MAX}, or absent when unknown`);
    return null;
  }
  return value + 0; // -0 becomes 0
}

export function parseAddRequest(req: AddBeerRequest): AddParams {
  const v = new Violations();
  const name = v.text("name", req.name, 1, NAME_MAX);
  const style = req.style.trim() === "" ? "" : v.text("style", req.style, 0, STYLE_MAX);
  const alcohol = abv(v, "abv", req.abv);
  v.requestId("request_id", req.requestId);
  v.throwIfAny();
  const content = { name, style, abv: alcohol };
  return {
    ...content,
    requestId: req.requestId || null,
    requestHash: createHash("sha256").update(JSON.stringify(content)).digest("base64url"),
  };
}

export function parseRenameRequest(req: RenameBeerRequest): { id: string; name: string } {
  const v = new Violations();
  v.id("id", req.id);
  const name = v.text("name", req.name, 1, NAME_MAX);
  v.throwIfAny();
  return { id: req.id, name };
}

export function parseListRequest(req: Pick<ListBeersRequest, "pageSize" | "pageToken" | "orderBy" | "nameContains">): ListParams {
  const v = new Violations();
  const pageSize = parsePageSize(v, req.pageSize);
  const orderBy = parseOrderBy<BeerSortField>(v, req.orderBy, BEER_SORT_FIELDS, { field: "create_time", direction: "asc" });
  if (req.nameContains !== "") v.text("name_contains", req.nameContains, 1, NAME_MAX);
  const filter: BeerFilter = { nameContains: req.nameContains.trim() || undefined };
  const after = v.count === 0 ? decodePageToken(v, req.pageToken, BEER_SORT_FIELDS[orderBy.field], orderBy, filter) : undefined;
  v.throwIfAny();
  return { filter, page: { pageSize, orderBy, after } };
}

/** The token of the page after `rows`, or "" on the last page. */
export function nextPageToken(params: ListParams, page: BeerPage): string {
  const last = page.rows.at(-1);
  if (!page.hasMore || last === undefined) return "";
  return encodePageToken(params.page.orderBy, params.filter, {
    value: sortValue(last, params.page.orderBy.field),
    id: last.id,
  });
}

/**
 * The sequence number after which to stream: 0 (from the start) for "", else
 * the decimal sequence number of an event, as BeerEvent.cursor carries it.
 */
export function parseCursor(cursor: string): bigint {
  if (cursor === "") return 0n;
  const v = new Violations();
  if (!CURSOR_PATTERN.test(cursor) || BigInt(cursor) > MAX_SEQ) v.add("after_cursor", "must be the cursor of an event, or empty");
  v.throwIfAny();
  return BigInt(cursor);
}

/** The cursor of the event with this sequence number. */
export function cursorOf(seq: bigint): string {
  return seq.toString();
}
