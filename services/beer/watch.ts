// WatchBeerEvents: the events after a cursor from the table, then live ones as
// the hub reports new commits. Each stream keeps only its own cursor and reads
// "seq > cursor" in order, so it sends every committed event once (see the
// ordering note in events.ts). The stream ends, after what it has already sent,
// when the caller cancels or the server begins to stop.
import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import type { Kysely } from "kysely";
import {
  type WatchBeerEventsRequest,
  type WatchBeerEventsResponse,
  WatchBeerEventsResponseSchema,
} from "../../gen/mesh/beer/v1/beer_pb.js";
import { toBigInt } from "../platform/database.js";
import { invalidArgument } from "../platform/errors.js";
import type { EventHub } from "./event-hub.js";
import { latestEventSeq, readEventsAfter } from "./events.js";
import { eventRowToMessage } from "./mappers.js";
import { parseCursor } from "./requests.js";
import type { BeerDatabase } from "./schema.js";

/** Events read per query while catching up. */
export const WATCH_BATCH = 500;

export interface WatchDeps {
  readonly db: Kysely<BeerDatabase>;
  readonly hub: EventHub;
  /** Aborted when the server begins to stop. */
  readonly stopping: AbortSignal;
}

export async function* watchBeerEvents(
  deps: WatchDeps,
  req: WatchBeerEventsRequest,
  ctx: HandlerContext,
): AsyncGenerator<WatchBeerEventsResponse> {
  let after = parseCursor(req.afterCursor);
  // Events are never deleted, so every cursor this service issued is at most
  // the latest sequence number; a larger one would wait for ever.
  if (after > 0n && after > (await latestEventSeq(deps.db))) {
    throw invalidArgument([{ field: "after_cursor", description: "is not the cursor of an event of this feed" }]);
  }
  const signal = AbortSignal.any([ctx.signal, deps.stopping]);
  while (!signal.aborted) {
    const rows = await readEventsAfter(deps.db, after, WATCH_BATCH);
    for (const row of rows) {
      yield create(WatchBeerEventsResponseSchema, { event: eventRowToMessage(row) });
      after = toBigInt(row.seq);
      if (signal.aborted) return;
    }
    if (rows.length === WATCH_BATCH) continue; // more may be waiting: read on without sleeping
    if (!(await deps.hub.waitForEventAfter(after, signal))) return;
  }
}
