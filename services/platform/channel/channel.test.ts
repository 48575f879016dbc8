// The channel against real replicas in their own processes on loopback ports:
// balance, a replica killed, drained, turned NOT_SERVING, a new address, and
// the retry budget with every replica down.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { getEventListeners, once } from "node:events";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { PointService } from "../../../gen/mesh/point/v1/point_pb.js";
import { startFakeServer } from "../../testing/fake-server.js";
import { Channel } from "./channel.js";
import { staticResolver, type Resolver } from "./resolver.js";
import { DEFAULT_RETRY_OPTIONS } from "./retry.js";

const REPLICA = new URL("../../testing/replica.ts", import.meta.url).pathname;

interface Replica {
  readonly name: string;
  readonly port: number;
  process: ChildProcess;
}

async function freePort(): Promise<number> {
  const server = createNetServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  return port;
}

async function spawnReplica(name: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", REPLICA, name, String(port)], { stdio: ["ignore", "pipe", "inherit"] });
  const [line] = (await once(child.stdout!, "data")) as [Buffer];
  assert.equal(line.toString().trim(), "ready");
  return child;
}

async function startReplicas(names: string[]): Promise<Replica[]> {
  return Promise.all(
    names.map(async (name) => {
      const port = await freePort();
      return { name, port, process: await spawnReplica(name, port) };
    }),
  );
}

async function stopReplica(replica: Replica, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (replica.process.exitCode !== null || replica.process.signalCode !== null) return;
  const exited = once(replica.process, "exit");
  replica.process.kill(signal);
  await exited;
}

/** Runs `total` GetUserPoints calls, `concurrency` at a time; counts answers per replica and failures. */
async function drive(
  client: Client<typeof PointService>,
  total: number,
  concurrency: number,
  onProgress?: (done: number) => void | Promise<void>,
) {
  const answers = new Map<string, number>();
  const failures: ConnectError[] = [];
  let started = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < total) {
        started++;
        try {
          const res = await client.getUserPoints({ userId: "01900000-0000-7000-8000-000000000001" }, { timeoutMs: 5_000 });
          answers.set(res.userId, (answers.get(res.userId) ?? 0) + 1);
        } catch (err) {
          failures.push(ConnectError.from(err));
        }
        done++;
        await onProgress?.(done);
      }
    }),
  );
  return { answers, failures };
}

function channelFor(replicas: Replica[], resolver?: Resolver) {
  const channel = new Channel({
    name: "point",
    resolver: resolver ?? staticResolver(replicas.map((r) => `127.0.0.1:${r.port}`)),
    healthService: "mesh.point.v1.PointService",
  });
  return { channel, client: createClient(PointService, channel) };
}

describe("channel over four replicas", () => {
  let replicas: Replica[];
  before(async () => (replicas = await startReplicas(["a", "b", "c", "d"])));
  after(async () => Promise.all(replicas.map((r) => stopReplica(r, "SIGKILL"))));

  test("4,000 calls spread 25% +-3 points over each replica", async () => {
    const { channel, client } = channelFor(replicas);
    try {
      const { answers, failures } = await drive(client, 4_000, 16);
      assert.deepEqual(failures, []);
      const shares = replicas.map((r) => (100 * (answers.get(r.name) ?? 0)) / 4_000);
      console.log(`# shares per replica (%): ${shares.join(", ")}`);
      for (const share of shares) assert.ok(Math.abs(share - 25) <= 3, `share ${share}%`);
    } finally {
      channel.close();
    }
  });

  test("a replica killed with SIGKILL mid-run: no failed call; it takes calls again soon after restarting", async () => {
    const { channel, client } = channelFor(replicas);
    const victim = replicas[2]!;
    let killedAt = Infinity;
    let restarted = false;
    try {
      const answered: string[] = [];
      const { failures } = await drive(client, 3_000, 16, async (done) => {
        if (done === 1_000) {
          victim.process.kill("SIGKILL");
          await once(victim.process, "exit");
          killedAt = done;
        }
      });
      assert.deepEqual(failures.map((f) => `${f.code} ${f.message} ${String((f.cause as Error)?.message ?? "")}`), []);
      const stats = channel.stats().endpoints.find((e) => e.address.endsWith(`:${victim.port}`))!;
      assert.ok(stats.ejected || stats.ejections > 0, "the dead replica was ejected");
      // Its calls in flight failed with one error per connection: the budget was charged per connection.
      assert.equal(channel.stats().budgetExhausted, 0);
      assert.ok(killedAt < Infinity);

      victim.process = await spawnReplica(victim.name, victim.port);
      restarted = true;
      const restartedAt = performance.now();
      let backAfterMs = -1;
      while (performance.now() - restartedAt < 15_000) {
        const res = await client.getUserPoints({ userId: "01900000-0000-7000-8000-000000000001" });
        answered.push(res.userId);
        if (res.userId === victim.name) {
          backAfterMs = performance.now() - restartedAt;
          break;
        }
        await sleep(5);
      }
      console.log(`# killed replica took calls again ${Math.round(backAfterMs)} ms after restarting`);
      assert.ok(backAfterMs >= 0, "the restarted replica took calls again");
    } finally {
      channel.close();
      // The tests after this one need all four replicas, whatever happened here.
      if (!restarted && victim.process.exitCode === null && victim.process.signalCode === null) victim.process.kill("SIGKILL");
      if (!restarted) victim.process = await spawnReplica(victim.name, victim.port);
    }
  });

  test("a replica stopped with SIGTERM mid-run drains with no failed call", async () => {
    const { channel, client } = channelFor(replicas);
    const victim = replicas[3]!;
    try {
      const { answers, failures } = await drive(client, 3_000, 16, async (done) => {
        if (done === 1_000) await stopReplica(victim, "SIGTERM");
      });
      assert.deepEqual(failures.map((f) => `${f.code} ${f.message} ${String((f.cause as Error)?.message ?? "")}`), []);
      assert.ok((answers.get(victim.name) ?? 0) < 1_500);
    } finally {
      victim.process = await spawnReplica(victim.name, victim.port);
      channel.close();
    }
  });

  test("a replica NOT_SERVING through health gets no new calls until SERVING again", async () => {
    const { channel, client } = channelFor(replicas);
    const victim = replicas[1]!;
    try {
      await drive(client, 100, 4);
      victim.process.kill("SIGUSR1");
      await waitFor(() => channel.stats().endpoints.some((e) => e.address.endsWith(`:${victim.port}`) && !e.serving));
      const during = await drive(client, 400, 8);
      assert.equal(during.answers.get(victim.name) ?? 0, 0);
      assert.deepEqual(during.failures, []);
      victim.process.kill("SIGUSR2");
      await waitFor(() => channel.stats().endpoints.every((e) => e.serving));
      const afterwards = await drive(client, 400, 8);
      assert.ok((afterwards.answers.get(victim.name) ?? 0) > 50);
    } finally {
      channel.close();
    }
  });

  test("a new address appearing in the resolver receives calls without restarting the caller", async () => {
    const addresses = replicas.slice(0, 2).map((r) => `127.0.0.1:${r.port}`);
    const resolver: Resolver = { dynamic: true, resolve: async () => [...addresses] };
    const { channel, client } = channelFor(replicas, resolver);
    try {
      const before = await drive(client, 200, 4);
      assert.deepEqual([...before.answers.keys()].sort(), ["a", "b"]);
      addresses.push(`127.0.0.1:${replicas[2]!.port}`);
      await channel.refresh();
      const afterwards = await drive(client, 300, 4);
      assert.ok((afterwards.answers.get("c") ?? 0) > 50, JSON.stringify([...afterwards.answers]));
    } finally {
      channel.close();
    }
  });
});

describe("deadlines", () => {
  test("a 50 ms deadline reaches the server as less than 50 ms; a spent one sends nothing", async () => {
    const seen: Array<number | undefined> = [];
    const fake = await startFakeServer(PointService, {
      getUserPoints(_req, ctx) {
        seen.push(ctx.timeoutMs());
        return { points: 1n };
      },
    });
    const channel = new Channel({ name: "point", resolver: staticResolver([`127.0.0.1:${fake.port}`]) });
    try {
      const client = createClient(PointService, channel);
      await client.getUserPoints({ userId: "x" }, { timeoutMs: 50 });
      assert.equal(seen.length, 1);
      assert.ok(seen[0]! > 0 && seen[0]! <= 50, `server saw ${seen[0]} ms`);
      await assert.rejects(
        channel.unary(PointService.method.getUserPoints, undefined, 0, undefined, { userId: "x" }),
        (e: ConnectError) => e.code === Code.DeadlineExceeded,
      );
      assert.equal(seen.length, 1, "nothing was sent");
    } finally {
      channel.close();
      await fake.stop();
    }
  });
});

describe("every replica down", () => {
  async function hammer(channel: Channel) {
    const client = createClient(PointService, channel);
    const durations: number[] = [];
    for (let i = 0; i < 200; i++) {
      const started = performance.now();
      await assert.rejects(client.getUserPoints({ userId: "x" }, { timeoutMs: 2_000 }), (e: ConnectError) => e.code === Code.Unavailable);
      durations.push(performance.now() - started);
    }
    durations.sort((a, b) => a - b);
    return { stats: channel.stats(), p50: durations[100]!, max: durations[199]! };
  }

  for (const ejection of [true, false]) {
    test(`calls fail fast and retries never exceed the budget (outlier ejection ${ejection ? "on" : "off"})`, async () => {
      const ports = await Promise.all([freePort(), freePort()]);
      const channel = new Channel({
        name: "point",
        resolver: staticResolver(ports.map((p) => `127.0.0.1:${p}`)),
        ...(ejection ? {} : { ejection: { consecutiveFailures: Number.MAX_SAFE_INTEGER } }),
      });
      try {
        const { stats, p50, max } = await hammer(channel);
        console.log(
          `# 200 calls, every replica down, ejection ${ejection ? "on" : "off"}: ${stats.retries} retries, ` +
            `${stats.transparentRetries} transparent, budget refused ${stats.budgetExhausted}, p50 ${p50.toFixed(1)} ms, max ${max.toFixed(1)} ms`,
        );
        // Retries only while the bucket is above half: at most half the tokens, then none.
        assert.ok(stats.retries <= DEFAULT_RETRY_OPTIONS.budgetTokens / 2, `${stats.retries} retries`);
        // Without ejection every call asks the budget, which refuses once spent.
        if (!ejection) assert.ok(stats.budgetExhausted > 100);
        assert.ok(p50 < 50, "failing fast");
      } finally {
        channel.close();
      }
    });
  }
});

describe("no address yet", () => {
  test("calls made while the resolver knows no address fail UNAVAILABLE and leave no listener on the caller's signal", async () => {
    const channel = new Channel({ name: "point", resolver: { dynamic: false, resolve: async () => [] } });
    // One signal for many calls, as a shared never-aborting signal is.
    const signal = new AbortController().signal;
    try {
      for (let i = 0; i < 5; i++) {
        await assert.rejects(channel.unary(PointService.method.getUserPoints, signal, 20, undefined, { userId: "x" }), (e: ConnectError) => e.code === Code.Unavailable);
      }
      assert.equal(getEventListeners(signal, "abort").length, 0);
    } finally {
      channel.close();
    }
  });
});

async function waitFor(condition: () => boolean, withinMs = 5_000): Promise<void> {
  const deadline = performance.now() + withinMs;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail("condition not met in time");
    await sleep(20);
  }
}
