// Wiring of the beer service: database, the shared event hub, handlers.
import { BeerService } from "../../gen/mesh/beer/v1/beer_pb.js";
import type { Logger } from "../platform/logger.js";
import { startServiceHost, type ServiceHost } from "../platform/service-host.js";
import type { BeerConfig } from "./config.js";
import { createEventHub } from "./event-hub.js";
import { createBeerMetrics } from "./metrics.js";
import { migrations } from "./migrations/index.js";
import type { BeerDatabase } from "./schema.js";
import { seedBeers } from "./seed.js";
import { createBeerService } from "./service.js";

export function startBeerService(config: BeerConfig, logger: Logger): Promise<ServiceHost<BeerDatabase>> {
  return startServiceHost<BeerDatabase>({
    config,
    logger,
    migrations,
    seed: seedBeers,
    mount(server, database, observability) {
      // One listener for the whole process, however many streams watch.
      const hub = createEventHub({
        db: database.db,
        listen: (channel, onNotify, onError) => database.listen(channel, onNotify, onError),
        logger,
        pollIntervalMs: config.eventPollIntervalMs,
      });
      server.register(BeerService, createBeerService({ db: database.db, hub, stopping: server.stopping, metrics: createBeerMetrics(observability) }));
      // Closed after the server has drained: by then every stream has ended on `stopping`.
      return [() => hub.close()];
    },
  });
}
