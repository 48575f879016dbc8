import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { createClient } from "@connectrpc/connect";
import { PointService } from "../../gen/mesh/point/v1/point_pb.js";
import { startFakeServer } from "../testing/fake-server.js";
import { Channel } from "./channel/channel.js";
import { staticResolver } from "./channel/resolver.js";
import { connectionKey } from "./interceptors.js";

test("connections are closed after their maximum age, without failing calls", async () => {
  const connections = new Set<string>();
  const fake = await startFakeServer(
    PointService,
    {
      getUserPoints: (_req, ctx) => {
        connections.add(ctx.values.get(connectionKey));
        return { points: 1n };
      },
    },
    0,
    { maxConnectionAgeMs: 200, maxConnectionAgeGraceMs: 1_000 },
  );
  const channel = new Channel({ name: "point", resolver: staticResolver([`127.0.0.1:${fake.port}`]), sessionsPerEndpoint: 1 });
  try {
    const client = createClient(PointService, channel);
    const started = performance.now();
    let calls = 0;
    while (performance.now() - started < 1_000) {
      await client.getUserPoints({ userId: "x" });
      calls++;
      await sleep(5);
    }
    assert.ok(calls > 50);
    assert.ok(connections.size >= 3, `${connections.size} connections in 1 s with a 200 ms maximum age`);
  } finally {
    channel.close();
    await fake.stop();
  }
});
