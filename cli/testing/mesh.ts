// The services a CLI test talks to, on loopback ports with the reference data,
// and the environment that points the CLI at them.
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import { BeerService } from "../../gen/mesh/beer/v1/beer_pb.js";
import { startDepartmentService } from "../../services/department/server.js";
import { startPointService } from "../../services/point/server.js";
import { startFakeServer } from "../../services/testing/fake-server.js";
import { silentLogger, stopAndDrop, testConfig } from "../../services/testing/harness.js";
import { startUserService } from "../../services/user/server.js";
import { MESH_SERVICES, type MeshServiceName } from "../services.js";
import { fakeBeerService } from "./fake-beer-service.js";

export interface RunningService {
  readonly port: number;
  stop(): Promise<void>;
}

const SEED = { SEED: "true" };

/**
 * The beer service. Until services/beer/server.ts lands this is an in-memory
 * fake; then the body becomes (one line, plus its import):
 *   const host = await startBeerService(testConfig("beer"), silentLogger()); return { port: host.port, stop: () => stopAndDrop(host) };
 * The tests use names of their own, so the real service's seeded beers do not disturb them.
 */
export async function startBeer(): Promise<RunningService> {
  return startFakeServer(BeerService, fakeBeerService());
}

export interface TestMesh {
  /** USER_SERVICE_ADDR and the others, for the CLI's environment. */
  readonly env: Record<string, string>;
  readonly services: Partial<Record<MeshServiceName, RunningService>>;
  stop(): Promise<void>;
}

/** A free loopback port: the user and department services each need the other's address at start. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const addr = (port: number) => `127.0.0.1:${port}`;

/** Starts the named services (user and department also need point, which is then started too). */
export async function startMesh(names: readonly MeshServiceName[]): Promise<TestMesh> {
  const services: Partial<Record<MeshServiceName, RunningService>> = {};
  const wanted = new Set(names);
  if (wanted.has("user") || wanted.has("department")) wanted.add("point");
  try {
    if (wanted.has("point")) {
      const host = await startPointService(testConfig("point", SEED), silentLogger());
      services.point = { port: host.port, stop: () => stopAndDrop(host) };
    }
    const pointAddr = addr(services.point?.port ?? 9);
    // Port 9 (discard) for a peer that is not started: calls to it fail fast.
    const userPort = wanted.has("user") ? await freePort() : 9;
    if (wanted.has("department")) {
      const host = await startDepartmentService(
        { ...testConfig("department", SEED), userServiceAddr: addr(userPort), pointServiceAddr: pointAddr },
        silentLogger(),
      );
      services.department = { port: host.port, stop: () => stopAndDrop(host) };
    }
    if (wanted.has("user")) {
      const config = testConfig("user", SEED);
      const host = await startUserService(
        {
          ...config,
          server: { ...config.server, port: userPort },
          pointServiceAddr: pointAddr,
          departmentServiceAddr: addr(services.department?.port ?? 9),
        },
        silentLogger(),
      );
      services.user = { port: host.port, stop: () => stopAndDrop(host) };
    }
    if (wanted.has("beer")) services.beer = await startBeer();
  } catch (err) {
    await Promise.all(Object.values(services).map((s) => s.stop()));
    throw err;
  }
  const env = Object.fromEntries(
    Object.entries(services).map(([name, s]) => [MESH_SERVICES[name as MeshServiceName].env, addr(s.port)]),
  );
  return {
    env,
    services,
    // Stopping twice is harmless: a test may stop one early.
    stop: async () => {
      await Promise.all(Object.values(services).map((s) => s.stop()));
    },
  };
}
