// The four services in this process on loopback ports, wired to each other as
// in production and seeded with the reference data: for tests that go through
// every method of every service.
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import { startBeerService } from "../beer/server.js";
import { startDepartmentService } from "../department/server.js";
import type { Logger } from "../platform/logger.js";
import type { ServiceHost } from "../platform/service-host.js";
import { startPointService } from "../point/server.js";
import { startUserService } from "../user/server.js";
import { silentLogger, stopAndDrop, testConfig } from "./harness.js";

export interface TestMesh {
  readonly user: ServiceHost<unknown>;
  readonly point: ServiceHost<unknown>;
  readonly department: ServiceHost<unknown>;
  readonly beer: ServiceHost<unknown>;
  /** Every host, in the order they stop. */
  readonly hosts: ReadonlyArray<{ readonly name: string; readonly host: ServiceHost<unknown> }>;
  stop(): Promise<void>;
}

/** A free loopback port: user and department call each other, so one must know the other's port before either starts. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startTestMesh(env: Record<string, string> = {}, logger: Logger = silentLogger()): Promise<TestMesh> {
  const seeded = { SEED: "true", ...env };
  const userPort = await freePort();
  const point = await startPointService(testConfig("point", seeded), logger);
  const pointAddr = `127.0.0.1:${point.port}`;
  const department = await startDepartmentService(
    { ...testConfig("department", seeded), userServiceAddr: `127.0.0.1:${userPort}`, pointServiceAddr: pointAddr },
    logger,
  );
  const user = await startUserService(
    {
      ...testConfig("user", { ...seeded, USER_PORT: String(userPort), USER_ADMIN_PORT: "0" }),
      pointServiceAddr: pointAddr,
      departmentServiceAddr: `127.0.0.1:${department.port}`,
    },
    logger,
  );
  const beer = await startBeerService({ ...testConfig("beer", seeded), eventPollIntervalMs: 1_000 }, logger);
  const hosts = [
    { name: "user", host: user as ServiceHost<unknown> },
    { name: "department", host: department as ServiceHost<unknown> },
    { name: "beer", host: beer as ServiceHost<unknown> },
    { name: "point", host: point as ServiceHost<unknown> },
  ];
  return {
    user: user as ServiceHost<unknown>,
    point: point as ServiceHost<unknown>,
    department: department as ServiceHost<unknown>,
    beer: beer as ServiceHost<unknown>,
    hosts,
    async stop() {
      for (const { host } of hosts) await stopAndDrop(host);
    },
  };
}
