// The request headers of the fast path are filled on first use: whatever is
// asked of them, they must answer as a Headers filled at once would.
import assert from "node:assert/strict";
import type * as http2 from "node:http2";
import { test } from "node:test";
import { webHeaders } from "./exchange.js";

const RAW: http2.IncomingHttpHeaders = {
  ":method": "POST",
  ":path": "/mesh.user.v1.UserService/GetUser",
  "content-type": "application/grpc",
  "x-request-id": "r-1",
  "set-cookie": ["a=1", "b=2"],
  "x-multi": ["one", "two"] as unknown as string,
  te: "trailers",
};

function eager(raw: http2.IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [key, value] of Object.entries(raw)) {
    if (key.startsWith(":") || value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.append(key, v);
  }
  return out;
}

const everything = (h: Headers) => ({
  entries: [...h],
  forEach: (() => {
    const seen: string[] = [];
    h.forEach((v, k) => seen.push(`${k}=${v}`));
    return seen;
  })(),
  keys: [...h.keys()],
  values: [...h.values()],
  setCookie: h.getSetCookie(),
  copied: [...new Headers(h)],
  gets: ["Content-Type", "x-request-id", "X-MULTI", "set-cookie", "missing"].map((n) => h.get(n)),
  invalid: (() => {
    try {
      return h.get(":path");
    } catch (err) {
      return (err as Error).name;
    }
  })(),
  has: ["te", "TE", "nope"].map((n) => h.has(n)),
});

test("read without being changed, the lazy headers answer as eagerly filled ones", () => {
  const lazy = webHeaders(RAW);
  assert.ok(lazy instanceof Headers);
  assert.deepEqual(everything(lazy), everything(eager(RAW)));
});

test("get alone answers from Node's object, then every change is seen by every method", () => {
  for (const change of [
    (h: Headers) => h.set("x-request-id", "r-2"),
    (h: Headers) => h.append("x-multi", "three"),
    (h: Headers) => h.delete("content-type"),
    (h: Headers) => h.set("x-new", "v"),
  ]) {
    const lazy = webHeaders(RAW);
    const reference = eager(RAW);
    assert.equal(lazy.get("x-request-id"), "r-1");
    assert.equal(lazy.get("x-multi"), "one, two");
    change(lazy);
    change(reference);
    assert.deepEqual(everything(lazy), everything(reference));
  }
});
