// Domain counters of the user service, in the process's registry.
import type { Observability } from "../platform/observability.js";

export interface UserMetrics {
  /** A CreateUser call inserted a user (not an idempotent replay). */
  userCreated(): void;
}

export function createUserMetrics(observability: Pick<Observability, "counter">): UserMetrics {
  const created = observability.counter("mesh_users_created_total", "Users inserted by CreateUser (idempotent replays excluded).");
  return { userCreated: () => created.inc() };
}
