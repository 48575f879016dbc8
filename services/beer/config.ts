// The beer service's configuration: the shared fields plus the watch poll interval (it calls no other service).
import type { EnvReader } from "../platform/config.js";
import { readServiceConfig, type ServiceConfig } from "../platform/service-config.js";

export interface BeerConfig extends ServiceConfig {
  /** How often watchers look for new events without a notification (BEER_EVENT_POLL_MS, default 1000). */
  readonly eventPollIntervalMs: number;
}

export function readBeerConfig(reader: EnvReader): BeerConfig {
  return Object.freeze({
    ...readServiceConfig("beer", reader),
    eventPollIntervalMs: reader.int("BEER_EVENT_POLL_MS", 1_000, 10, 60_000),
  });
}
