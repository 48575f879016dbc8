// The table of a session's open HTTP/2 streams, in place of node:http2's own.
//
// Node keeps each session's open streams in a Map (an internal of
// lib/internal/http2/core.js, `session[kState].streams`): a set when a stream
// opens, a delete when it closes. Under load, that Map makes V8's young
// collections keep streams that ended long before: with 100 calls in flight on
// a node:http2 echo server, 6.6-9.6 MiB outlive every young collection, and
// 99.8% of what outlives one is still there at the next (so it is promoted, and
// freed only by a full collection), while a heap snapshot taken under the same
// load finds only the 100 streams in flight (`bench/profile.ts --gc`). The same
// server with its sessions on an object-backed table keeps 0.2 MiB per young
// collection, its pauses drop from 17 to 0.6 ms and its rate rises by a tenth
// (docs/benchmarks/README.md, "The stream table"). How the Map does it, we did
// not pin down: a Map with the same churn in a loop of its own does not.
//
// StreamTable keeps its entries in an object (stream ids are integers, which V8
// keeps in a number dictionary) and offers the whole Map interface, though
// Node 22-24 call only get, set, delete, size and forEach. adoptStreamTable
// swaps it in when a session starts, and leaves a session whose table is not
// where and what it expects (another Node) as it is.
import type * as http2 from "node:http2";

export class StreamTable<V> implements Map<number, V> {
  #entries: Record<number, V> = Object.create(null) as Record<number, V>;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get [Symbol.toStringTag](): string {
    return "StreamTable";
  }

  get(id: number): V | undefined {
    return this.#entries[id];
  }

  has(id: number): boolean {
    return id in this.#entries;
  }

  set(id: number, value: V): this {
    if (!(id in this.#entries)) this.#size++;
    this.#entries[id] = value;
    return this;
  }

  delete(id: number): boolean {
    if (!(id in this.#entries)) return false;
    delete this.#entries[id];
    this.#size--;
    return true;
  }

  clear(): void {
    this.#entries = Object.create(null) as Record<number, V>;
    this.#size = 0;
  }

  /**
   * In id order (the order streams opened in). Over the entries as they were
   * when it began: Node destroys streams from inside the callback, and a
   * destroyed stream deletes itself from the table.
   */
  forEach(callback: (value: V, id: number, table: Map<number, V>) => void, thisArg?: unknown): void {
    for (const [id, value] of this.entries()) callback.call(thisArg, value, id, this);
  }

  *entries(): MapIterator<[number, V]> {
    const entries = this.#entries;
    const ids = Object.keys(entries);
    for (const key of ids) {
      const id = Number(key);
      if (id in entries) yield [id, entries[id] as V];
    }
  }

  *keys(): MapIterator<number> {
    for (const [id] of this.entries()) yield id;
  }

  *values(): MapIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): MapIterator<[number, V]> {
    return this.entries();
  }
}

interface SessionState {
  streams: Map<number, http2.Http2Stream>;
}

/** Node's state object of a session, if it has the shape this module knows. */
function stateOf(session: http2.Http2Session): SessionState | undefined {
  for (const key of Object.getOwnPropertySymbols(session)) {
    if (key.description !== "state") continue;
    const state = (session as unknown as Record<symbol, unknown>)[key];
    if (typeof state !== "object" || state === null) return undefined;
    const streams = (state as Partial<SessionState>).streams;
    const descriptor = Object.getOwnPropertyDescriptor(state, "streams");
    const mapLike =
      streams !== undefined &&
      typeof streams.get === "function" &&
      typeof streams.set === "function" &&
      typeof streams.delete === "function" &&
      typeof streams.forEach === "function" &&
      typeof streams.size === "number";
    return mapLike && descriptor?.writable === true ? (state as SessionState) : undefined;
  }
  return undefined;
}

/**
 * Moves the session's streams (none, when called as it starts) into a
 * StreamTable. Returns false, changing nothing, where Node keeps them
 * elsewhere or otherwise.
 */
export function adoptStreamTable(session: http2.Http2Session): boolean {
  const state = stateOf(session);
  if (state === undefined) return false;
  if (state.streams instanceof StreamTable) return true;
  const table = new StreamTable<http2.Http2Stream>();
  state.streams.forEach((stream, id) => table.set(id, stream));
  state.streams = table;
  return true;
}
