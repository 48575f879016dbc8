import assert from "node:assert/strict";
import { once } from "node:events";
import * as http2 from "node:http2";
import { test } from "node:test";
import { adoptStreamTable, StreamTable } from "./stream-table.js";

test("StreamTable does what a Map of stream ids does", () => {
  const table = new StreamTable<string>();
  assert.equal(table.size, 0);
  assert.equal(table.set(5, "five"), table);
  table.set(1, "one").set(3, "three");
  table.set(3, "three again");
  assert.equal(table.size, 3);
  assert.equal(table.get(3), "three again");
  assert.equal(table.get(7), undefined);
  assert.equal(table.has(1), true);
  assert.equal(table.has(7), false);
  // In id order, the order HTTP/2 streams open in.
  assert.deepEqual([...table], [
    [1, "one"],
    [3, "three again"],
    [5, "five"],
  ]);
  assert.deepEqual([...table.keys()], [1, 3, 5]);
  assert.deepEqual([...table.values()], ["one", "three again", "five"]);
  assert.equal(table.delete(3), true);
  assert.equal(table.delete(3), false);
  assert.equal(table.size, 2);
  assert.equal(Object.prototype.toString.call(table), "[object StreamTable]");
  table.clear();
  assert.equal(table.size, 0);
  assert.deepEqual([...table.entries()], []);
});

test("StreamTable.forEach visits each entry once while the callback deletes entries, as Node's destroy does", () => {
  const table = new StreamTable<string>();
  for (const id of [1, 3, 5, 7]) table.set(id, `s${id}`);
  const seen: Array<[number, string]> = [];
  const receiver = {};
  table.forEach(function (this: unknown, value, id, map) {
    assert.equal(this, receiver);
    assert.equal(map, table);
    seen.push([id, value]);
    table.delete(id);
    // A later entry deleted from inside: not visited, as with a Map.
    if (id === 3) table.delete(5);
  }, receiver);
  assert.deepEqual(seen, [
    [1, "s1"],
    [3, "s3"],
    [7, "s7"],
  ]);
  assert.equal(table.size, 0);
});

test("node:http2 keeps a session's streams where adoptStreamTable finds them (else the workaround is inert)", async () => {
  const server = http2.createServer();
  const adopted: boolean[] = [];
  server.on("session", (session) => adopted.push(adoptStreamTable(session)));
  server.on("stream", (stream) => stream.respond({ ":status": 200 }, { endStream: true }));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const client = http2.connect(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
  try {
    assert.equal(adoptStreamTable(client), true, `Node ${process.version}: no stream map found on a client session`);
    assert.equal(adoptStreamTable(client), true, "a second adoption keeps the table");
    const req = client.request({ ":path": "/" });
    req.resume();
    await once(req, "close");
    assert.deepEqual(adopted, [true], `Node ${process.version}: no stream map found on a server session`);
  } finally {
    client.close();
    server.close();
  }
});

/** A server and a client on loopback, both with their sessions on StreamTables, the server holding every stream open. */
async function heldStreams() {
  const server = http2.createServer();
  let serverSession: http2.ServerHttp2Session | undefined;
  const held: http2.ServerHttp2Stream[] = [];
  server.on("session", (session) => {
    adoptStreamTable(session);
    serverSession = session;
  });
  server.on("stream", (stream) => {
    stream.on("error", () => undefined);
    held.push(stream);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const client = http2.connect(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
  adoptStreamTable(client);
  return { server, client, held, serverSession: () => serverSession as http2.ServerHttp2Session };
}

test("streams open and close through the tables: many at once, all answered, none left behind", async () => {
  const { server, client, held, serverSession } = await heldStreams();
  try {
    const requests = Array.from({ length: 200 }, (_, i) => {
      const req = client.request({ ":path": `/${i}`, ":method": "POST" });
      req.end(`body ${i}`);
      const body: Buffer[] = [];
      req.on("data", (c: Buffer) => body.push(c));
      return Promise.all([once(req, "response"), once(req, "close")]).then(() => Buffer.concat(body).toString());
    });
    while (held.length < 200) await new Promise((resolve) => setTimeout(resolve, 5));
    for (const stream of held) {
      stream.respond({ ":status": 200 });
      stream.end("answer");
    }
    const answers = await Promise.all(requests);
    assert.equal(answers.length, 200);
    assert.ok(answers.every((a) => a === "answer"));
    await Promise.all(held.map((s) => (s.closed ? undefined : once(s, "close"))));
    assert.equal(stateSize(serverSession()), 0);
    assert.equal(stateSize(client), 0);
  } finally {
    client.close();
    server.close();
  }
});

test("a server session destroyed with streams open ends each of them, on both sides", async () => {
  const { server, client, held, serverSession } = await heldStreams();
  try {
    const requests = Array.from({ length: 3 }, (_, i) => {
      const req = client.request({ ":path": `/${i}` });
      req.on("error", () => undefined);
      return once(req, "close").then(() => req.rstCode);
    });
    while (held.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    const serverClosed = held.map((s) => once(s, "close"));
    serverSession().destroy();
    await Promise.all(serverClosed);
    assert.ok(held.every((s) => s.destroyed));
    const codes = await Promise.all(requests);
    assert.equal(codes.length, 3);
  } finally {
    client.destroy();
    server.close();
  }
});

test("a client session destroyed with streams open ends each of them", async () => {
  const { server, client, held } = await heldStreams();
  try {
    const requests = Array.from({ length: 3 }, (_, i) => {
      const req = client.request({ ":path": `/${i}` });
      req.on("error", () => undefined);
      return req;
    });
    while (held.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    // Not events.once: it rejects on the "error" each stream emits first.
    const closed = requests.map((r) => new Promise((resolve) => r.on("close", resolve)));
    const errors: Error[] = [];
    client.on("error", (err: Error) => errors.push(err));
    const sessionClosed = new Promise((resolve) => client.on("close", resolve));
    client.destroy(new Error("going away"));
    await Promise.all([...closed, sessionClosed]);
    assert.ok(requests.every((r) => r.destroyed));
    assert.equal(stateSize(client), 0);
    assert.deepEqual(
      errors.map((e) => e.message),
      ["going away"],
    );
  } finally {
    server.close();
  }
});

/** The number of streams a session's table holds (Node's internal state, as adoptStreamTable finds it). */
function stateSize(session: http2.Http2Session): number {
  const key = Object.getOwnPropertySymbols(session).find((k) => k.description === "state") as symbol;
  const streams = (session as unknown as Record<symbol, { streams: StreamTable<unknown> }>)[key]?.streams;
  assert.ok(streams instanceof StreamTable);
  return streams.size;
}
