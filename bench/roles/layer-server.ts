// The echo GetUser server with the stack built up one layer at a time, to see
// what each layer costs per call (the layers suite):
//   fast                 the fast adapter alone on node:http2 (no interceptor);
//   fast+log             + the logging and error-mapping interceptor (a JSON line per call);
//   fast+log+metrics     + the go-grpc-prometheus interceptor (tracing off);
//   server               our createServer with both (health, reflection, request gates, context
//                        values, early-answer reset, limits);
//   connect              the same createServer on connect-node alone.
// Messages: -> {type:"ready", port}; <- {type:"stop"}.
import * as http2 from "node:http2";
import { parseArgs } from "node:util";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { type GetUserRequest, UserService } from "../../gen/mesh/user/v1/user_pb.js";
import { EnvReader } from "../../services/platform/config.js";
import { fastNodeAdapter } from "../../services/platform/fast/adapter.js";
import { ServingStatus } from "../../services/platform/health.js";
import { createServerInterceptor } from "../../services/platform/interceptors.js";
import { createLogger, logDestination } from "../../services/platform/logger.js";
import { createObservability } from "../../services/platform/observability.js";
import { createServer } from "../../services/platform/server.js";
import { serveStreamsFirst } from "../../services/platform/stream-routing.js";
import { adoptStreamTable } from "../../services/platform/stream-table.js";
import { tuneV8 } from "../../services/platform/v8-tuning.js";
import { sampleAllocations } from "../lib/allocations.js";
import { onMessage, reply } from "../lib/children.js";
import { benchServerConfig, ECHO_USER } from "../lib/fixtures.js";

export const LAYERS = ["fast", "fast+log", "fast+log+metrics", "server", "connect"] as const;

// Every stack is ours: with the V8 setting every service starts with (services/platform/run-service.ts),
// which V8_PRETENURING=true leaves at V8's default there as here.
tuneV8({ pretenuring: new EnvReader(process.env).bool("V8_PRETENURING", false) });
const { values: args } = parseArgs({ options: { layer: { type: "string" } } });
const layer = args.layer as (typeof LAYERS)[number];
const impl = { getUser: (req: GetUserRequest) => ({ user: { ...ECHO_USER, id: req.id } }) };
// As production writes its lines (services/platform/log-destination.ts), to /dev/null.
const logger = createLogger({ service: "bench", destination: logDestination("/dev/null"), traceIds: false });
const observability = createObservability({ tracing: false });

let port: number;
let stop: () => Promise<void>;
if (layer === "server" || layer === "connect") {
  const server = createServer({
    config: benchServerConfig(),
    logger,
    observer: observability.serverInterceptor,
    adapter: layer === "server" ? fastNodeAdapter : connectNodeAdapter,
  });
  server.register(UserService, impl);
  port = (await server.listen()).port;
  server.health.setAll(ServingStatus.SERVING);
  stop = () => server.stop();
} else {
  const interceptors = [
    ...(layer === "fast+log+metrics" ? [observability.serverInterceptor] : []),
    ...(layer === "fast" ? [] : [createServerInterceptor(logger)]),
  ];
  const handler = fastNodeAdapter({ routes: (router) => router.service(UserService, impl), interceptors });
  const h2 = http2.createServer(handler);
  // As createServer serves it: calls taken from the stream event, streams in our table.
  serveStreamsFirst(h2, handler.serveStream);
  h2.on("session", adoptStreamTable);
  await new Promise<void>((resolve) => h2.listen(0, "127.0.0.1", resolve));
  port = (h2.address() as { port: number }).port;
  stop = () => new Promise<void>((resolve) => h2.close(() => resolve()));
}
const stopSampling = await sampleAllocations();
reply({ type: "ready", port });
onMessage(async (m) => {
  if (m.type === "stop") {
    await stopSampling();
    await stop();
    process.disconnect();
  }
});
