// The production log destination batches lines: they must still reach the
// file soon when the service is idle, and all of them when the process exits.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { createLogger, logDestination } from "./logger.js";

const lines = (file: string) =>
  (existsSync(file) ? readFileSync(file, "utf8") : "")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as { msg: string; n?: number });

test("a lone line reaches the log within the flush interval, though the buffer is far from full", async () => {
  const file = join(mkdtempSync(join(tmpdir(), "mesh-log-")), "out.log");
  const destination = logDestination(file);
  const logger = createLogger({ service: "test", destination });
  logger.info("alone");
  for (let i = 0; i < 50 && lines(file).length === 0; i++) await sleep(20);
  assert.deepEqual(lines(file).map((l) => l.msg), ["alone"]);
  destination.end();
});

test("every line written before process.exit is in the log (stdout, as services log)", () => {
  const file = join(mkdtempSync(join(tmpdir(), "mesh-log-")), "out.log");
  const logger = new URL("./logger.ts", import.meta.url).pathname;
  const script = `
    const { createLogger } = await import(${JSON.stringify(logger)});
    const log = createLogger({ service: "test" });
    for (let n = 0; n < 1000; n++) log.info({ n }, "line");
    process.exit(0);`;
  const out = openSync(file, "w");
  try {
    execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", out, "inherit"] });
  } finally {
    closeSync(out);
  }
  const written = lines(file);
  assert.equal(written.length, 1000);
  assert.deepEqual(written.map((l) => l.n), Array.from({ length: 1000 }, (_, n) => n));
});

test("lines keep their order across batches, flush(cb) writes what waits, and nothing is written after end", async () => {
  const file = join(mkdtempSync(join(tmpdir(), "mesh-log-")), "out.log");
  const destination = logDestination(file);
  const logger = createLogger({ service: "test", destination });
  // About 25 batches of 4 KiB, then a tail smaller than one batch.
  for (let n = 0; n < 1003; n++) logger.info({ n, pad: "x".repeat(n % 97) }, "line");
  assert.ok(lines(file).length < 1003, "the tail waits for a flush");
  await new Promise<void>((resolve, reject) => logger.flush((err) => (err ? reject(err) : resolve())));
  assert.deepEqual(lines(file).map((l) => l.n), Array.from({ length: 1003 }, (_, n) => n));
  destination.end();
  logger.info("after end");
  assert.equal(lines(file).length, 1003);
});

test("a reader on a pipe gets every line of a process that logs faster than it reads", () => {
  const logger = new URL("./logger.ts", import.meta.url).pathname;
  // 20,000 lines (about 2 MB) through a 64 KiB pipe: writes must wait for the reader, not drop lines.
  const script = `
    const { createLogger } = await import(${JSON.stringify(logger)});
    const log = createLogger({ service: "test" });
    for (let n = 0; n < 20000; n++) log.info({ n }, "line");`;
  const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { maxBuffer: 64 << 20 }).toString();
  const ns = out
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => (JSON.parse(l) as { n: number }).n);
  assert.equal(ns.length, 20000);
  assert.ok(ns.every((n, i) => n === i), "in order");
});

test("destinations share one exit hook, and one whose logger was dropped is collected", () => {
  const dir = mkdtempSync(join(tmpdir(), "mesh-log-"));
  const logger = new URL("./logger.ts", import.meta.url).pathname;
  // In a process of its own, to collect garbage on demand (--expose-gc).
  const script = `
    const { createLogger, logDestination } = await import(${JSON.stringify(logger)});
    const before = process.listenerCount("exit");
    let dropped;
    (() => {
      const destinations = Array.from({ length: 20 }, (_, i) => logDestination(${JSON.stringify(dir)} + "/" + i + ".log"));
      dropped = new WeakRef(destinations[0]);
      destinations.forEach((destination, i) => createLogger({ service: "test", destination }).info({ i }, "line"));
      for (const destination of destinations.slice(1)) destination.end();
    })();
    for (let i = 0; i < 20 && dropped.deref() !== undefined; i++) {
      await new Promise((r) => setTimeout(r, 10));
      gc();
    }
    console.log(JSON.stringify({ exitHooks: process.listenerCount("exit") - before, collected: dropped.deref() === undefined }));`;
  const out = execFileSync(process.execPath, ["--expose-gc", "--import", "tsx", "--input-type=module", "-e", script]).toString();
  assert.deepEqual(JSON.parse(out), { exitHooks: 1, collected: true });
  assert.deepEqual(lines(join(dir, "1.log")).map((l) => l.msg), ["line"]);
});
