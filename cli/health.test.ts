// mesh health against all four services on loopback, then with one stopped or not serving.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { BeerService } from "../gen/mesh/beer/v1/beer_pb.js";
import { ServingStatus } from "../services/platform/health.js";
import { startFakeServer } from "../services/testing/fake-server.js";
import { EXIT } from "./errors.js";
import { startMesh, type TestMesh } from "./testing/mesh.js";
import { runCli, runJson } from "./testing/run-cli.js";

interface HealthJson {
  services: Array<{ name: string; status: string; server: string; service: string; grpcService: string }>;
  allServing: boolean;
}

let mesh: TestMesh;

before(async () => {
  mesh = await startMesh(["user", "point", "department", "beer"]);
});

after(async () => {
  await mesh.stop();
});

const statuses = (json: HealthJson | undefined) => Object.fromEntries((json?.services ?? []).map((s) => [s.name, s.status]));

describe("mesh health", () => {
  test("every service SERVING, for the server and by its name: exit 0", async () => {
    const res = await runJson<HealthJson>(["health"], mesh.env);
    assert.equal(res.code, EXIT.OK, res.stdout + res.stderr);
    assert.equal(res.json?.allServing, true);
    assert.deepEqual(statuses(res.json), { user: "SERVING", point: "SERVING", department: "SERVING", beer: "SERVING" });
    assert.ok(res.json?.services.every((s) => s.server === "SERVING" && s.service === "SERVING"));
    assert.equal(res.json?.services.find((s) => s.name === "beer")?.grpcService, "mesh.beer.v1.BeerService");

    const table = await runCli(["health"], mesh.env);
    assert.equal(table.code, EXIT.OK);
    const rows = table.stdout.trimEnd().split("\n").slice(1).map((l) => l.split(/\s+/));
    assert.deepEqual(
      rows.map((r) => [r[0], r[2]]),
      ["user", "point", "department", "beer"].map((name) => [name, "SERVING"]),
    );
  });

  test("a server that answers NOT_SERVING for the service: exit 1", async () => {
    const fake = await startFakeServer(BeerService, {});
    try {
      fake.server.health.set(BeerService.typeName, ServingStatus.NOT_SERVING);
      // The flag wins over the environment's BEER_SERVICE_ADDR.
      const res = await runJson<HealthJson>(["health", "--beer-addr", `127.0.0.1:${fake.port}`], mesh.env);
      assert.equal(res.code, EXIT.FAILURE);
      const beer = res.json?.services.find((s) => s.name === "beer");
      assert.deepEqual([beer?.status, beer?.server, beer?.service], ["NOT_SERVING", "SERVING", "NOT_SERVING"]);
    } finally {
      await fake.stop();
    }
  });

  // Last: stops a service.
  test("a stopped service is UNREACHABLE and the others still SERVING: exit 1", async () => {
    await mesh.services.beer!.stop();
    const res = await runJson<HealthJson>(["health", "--timeout", "2000"], mesh.env);
    assert.equal(res.code, EXIT.FAILURE);
    assert.equal(res.json?.allServing, false);
    assert.deepEqual(statuses(res.json), { user: "SERVING", point: "SERVING", department: "SERVING", beer: "UNREACHABLE" });
    const table = await runCli(["health"], mesh.env);
    assert.equal(table.code, EXIT.FAILURE);
    assert.match(table.stdout, /^beer +\S+ +UNREACHABLE/m);
  });
});
