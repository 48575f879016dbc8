import assert from "node:assert/strict";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { serveStreamsFirst } from "./stream-routing.js";

test("streams the first server takes never reach the request handler; the others do, whole", async () => {
  const requests: string[] = [];
  const server = http2.createServer((req, res) => {
    requests.push(req.url);
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => res.end(`compat:${body}`));
  });
  serveStreamsFirst(server, (stream, headers) => {
    if (!headers[":path"]?.startsWith("/fast")) return false;
    stream.respond({ ":status": 200 });
    stream.end("fast");
    return true;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const client = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const call = (path: string, body: string) =>
    new Promise<string>((resolve, reject) => {
      const req = client.request({ ":method": "POST", ":path": path });
      let out = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => (out += chunk));
      req.on("end", () => resolve(out));
      req.on("error", reject);
      req.end(body);
    });
  try {
    assert.deepEqual(await Promise.all([call("/fast/1", "a"), call("/slow/1", "b"), call("/fast/2", "c"), call("/slow/2", "d")]), ["fast", "compat:b", "fast", "compat:d"]);
    assert.deepEqual(requests.sort(), ["/slow/1", "/slow/2"]);
  } finally {
    client.close();
    await new Promise((resolve) => server.close(resolve));
  }
});

test("a server without a request handler is refused: there would be nothing to fall back to", () => {
  assert.throws(() => serveStreamsFirst(http2.createServer(), () => false), /no stream listener/);
});
