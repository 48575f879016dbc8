// A real server on a loopback port serving a test's own implementation of a
// service: for upstreams whose behaviour a test must control (slow, failing).
import type { DescService } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { ServingStatus } from "../platform/health.js";
import { createServer, type Server } from "../platform/server.js";
import type { ServerConfig } from "../platform/service-config.js";
import { silentLogger, testConfig } from "./harness.js";

export interface FakeServer {
  readonly port: number;
  readonly server: Server;
  stop(): Promise<void>;
}

export async function startFakeServer<S extends DescService>(
  service: S,
  impl: Partial<ServiceImpl<S>>,
  port = 0,
  overrides: Partial<ServerConfig> = {},
): Promise<FakeServer> {
  const config = testConfig("point");
  const server = createServer({
    config: { ...config.server, port, httpPort: -1, shutdownGraceMs: 500, ...overrides },
    logger: silentLogger(),
  });
  server.register(service, impl);
  const bound = await server.listen();
  server.health.setAll(ServingStatus.SERVING);
  return { port: bound.port, server, stop: () => server.stop() };
}
