// Channel settings from the environment, shared by every service that calls others.
import type { EnvReader } from "../config.js";
import type { BalancingPolicy } from "./options.js";

export interface ChannelConfig {
  /** HTTP/2 connections per replica. */
  readonly sessionsPerEndpoint: number;
  readonly policy: BalancingPolicy;
  readonly keepaliveMs: number;
  readonly idleTimeoutMs: number;
  /** How often a dns:/// target is resolved again. */
  readonly resolveIntervalMs: number;
  /** Attempts per call, the first included (1: no retries). */
  readonly retryMaxAttempts: number;
  /** Tokens of the retry budget (retries stop at half). */
  readonly retryBudgetTokens: number;
  /** Hedge reads after this long; 0: off. */
  readonly hedgeDelayMs: number;
}

export function readChannelConfig(reader: EnvReader): ChannelConfig {
  return Object.freeze({
    sessionsPerEndpoint: reader.int("CHANNEL_SESSIONS_PER_ENDPOINT", 2, 1, 64),
    policy: reader.oneOf<BalancingPolicy>("CHANNEL_POLICY", "round_robin", ["round_robin", "least_outstanding"]),
    keepaliveMs: reader.int("CHANNEL_KEEPALIVE_MS", 30_000, 0, 3_600_000),
    idleTimeoutMs: reader.int("CHANNEL_IDLE_TIMEOUT_MS", 300_000, 0, 86_400_000),
    resolveIntervalMs: reader.int("CHANNEL_RESOLVE_INTERVAL_MS", 30_000, 100, 3_600_000),
    retryMaxAttempts: reader.int("RETRY_MAX_ATTEMPTS", 3, 1, 10),
    retryBudgetTokens: reader.int("RETRY_BUDGET_TOKENS", 20, 2, 10_000),
    hedgeDelayMs: reader.int("HEDGE_DELAY_MS", 0, 0, 60_000),
  });
}
