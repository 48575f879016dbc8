// Identifiers: time-ordered UUIDv7 strings.
import { v7 as uuidv7 } from "uuid";

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A new UUIDv7: sortable by creation time, monotonic within this process. */
export function newId(): string {
  return uuidv7();
}

/** True for a canonical lower-case UUID string (any version). */
export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}
