// The bundles' Headers (headers.ts) against Node's own: every case runs on both
// classes and must give the same result, or a TypeError from both.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Headers as MeshHeaders } from "./headers.js";

type HeadersClass = typeof globalThis.Headers;
type Case = [name: string, run: (H: HeadersClass) => unknown];

/** Everything a Headers exposes, in order, so that a difference anywhere shows. */
function observe(h: globalThis.Headers): unknown {
  const forEach: unknown[] = [];
  h.forEach((value, key, parent) => forEach.push([key, value, parent === h]));
  return {
    entries: [...h],
    keys: [...h.keys()],
    values: [...h.values()],
    forEach,
    cookies: h.getSetCookie(),
    tag: Object.prototype.toString.call(h),
  };
}

// Arguments of the wrong type on purpose: the global class converts or refuses them, and so must ours.
const loose = (h: globalThis.Headers) => h as unknown as Record<string, (...args: unknown[]) => unknown>;

const CASES: Case[] = [
  ["no init", (H) => observe(new H())],
  ["undefined init", (H) => observe(new H(undefined))],
  ["record", (H) => observe(new H({ "Content-Type": "application/grpc", "x-b": "2", "x-a": "1" }))],
  ["record with values to convert", (H) => observe(new H({ a: undefined, b: 2, c: null } as unknown as Record<string, string>))],
  ["record with a symbol key", (H) => observe(new H({ [Symbol("x")]: "1", a: "2" } as unknown as Record<string, string>))],
  ["record ignores inherited keys", (H) => observe(new H(Object.create({ inherited: "1" }, { own: { value: "2", enumerable: true } })))],
  ["record takes non-enumerable own keys too", (H) => observe(new H(Object.defineProperty({ a: "1" }, "hidden", { value: "2" })))],
  ["pairs", (H) => observe(new H([["b", "2"], ["A", "1"], ["a", "3"]]))],
  ["pairs of the wrong length", (H) => observe(new H([["a"]] as unknown as [string, string][]))],
  ["pairs of length three", (H) => observe(new H([["a", "1", "2"]] as unknown as [string, string][]))],
  ["a Map", (H) => observe(new H(new Map([["a", "1"], ["b", "2"]]) as unknown as [string, string][]))],
  ["another Headers", (H) => observe(new H(new H([["x-trace", "1"], ["set-cookie", "a=1"], ["set-cookie", "b=2"]])))],
  ["null init", (H) => observe(new H(null as unknown as undefined))],
  ["string init", (H) => observe(new H("ab" as unknown as undefined))],
  ["number init", (H) => observe(new H(5 as unknown as undefined))],
  ["append joins with comma and space", (H) => { const h = new H(); h.append("grpc-x", "1"); h.append("Grpc-X", "2"); h.append("grpc-x", ""); return [h.get("GRPC-X"), observe(h)]; }],
  ["set replaces", (H) => { const h = new H({ a: "1" }); h.append("a", "2"); h.set("A", "3"); return observe(h); }],
  ["delete", (H) => { const h = new H({ a: "1", b: "2" }); h.delete("A"); h.delete("missing"); return [h.has("a"), h.has("B"), observe(h)]; }],
  ["get of a missing name", (H) => new H().get("x")],
  ["values are trimmed of HTTP whitespace", (H) => { const h = new H(); h.append("a", " \t\r\n x y \r\n\t "); return observe(h); }],
  ["an empty value", (H) => { const h = new H(); h.set("a", ""); return [h.has("a"), h.get("a")]; }],
  ["Latin-1 values", (H) => { const h = new H(); h.set("a", "caf\u00e9 \u00ff"); return h.get("a"); }],
  ["values converted to strings", (H) => { const h = loose(new H()); h.set?.("n", 1); h.set?.("u", undefined); h.set?.("o", { toString: () => "obj" }); return observe(h as unknown as globalThis.Headers); }],
  ["set-cookie stays apart", (H) => { const h = new H(); h.append("Set-Cookie", "a=1"); h.append("set-cookie", "b=2"); h.append("z", "1"); h.append("b", "1"); return [h.get("set-cookie"), h.has("set-cookie"), observe(h)]; }],
  ["set-cookie set and deleted", (H) => { const h = new H([["set-cookie", "a=1"], ["set-cookie", "b=2"]]); h.set("set-cookie", "c=3"); const after = observe(h); h.delete("Set-Cookie"); return [after, h.get("set-cookie"), observe(h)]; }],
  ["getSetCookie returns a copy", (H) => { const h = new H([["set-cookie", "a=1"]]); h.getSetCookie().push("b=2"); return h.getSetCookie(); }],
  ["an iterator sees what is set before it starts", (H) => { const h = new H({ b: "1" }); const it = h.entries(); h.set("a", "2"); return [...it]; }],
  ["forEach's thisArg", (H) => { const seen: unknown[] = []; new H({ a: "1" }).forEach(function (this: unknown) { seen.push(this); }, "T"); return seen; }],
  ["forEach without a function", (H) => loose(new H()).forEach?.(5)],
  ["binary metadata", (H) => { const h = new H(); h.append("x-bin", "AAEC"); h.append("x-bin", "AwQ="); return h.get("x-bin"); }],
];

const INVALID: Case[] = [
  ["append: a space in the name", (H) => new H().append("a b", "x")],
  ["append: an empty name", (H) => new H().append("", "x")],
  ["append: a colon in the name", (H) => new H().append(":path", "x")],
  ["append: a non-ASCII name", (H) => new H().append("caf\u00e9", "x")],
  ["set: LF inside the value", (H) => new H().set("a", "x\ny")],
  ["set: CR inside the value", (H) => new H().set("a", "x\ry")],
  ["append: NUL in the value", (H) => new H().append("a", "\0")],
  ["set: a character above U+00FF", (H) => new H().set("a", "x\u0100")],
  ["set: a character above U+00FF in the name", (H) => new H().set("\u0100", "x")],
  ["get: an invalid name", (H) => new H().get("a b")],
  ["has: an invalid name", (H) => new H().has("a\tb")],
  ["delete: an invalid name", (H) => new H().delete("bad name")],
  ["record: an invalid name", (H) => new H({ "a b": "1" })],
  ["pairs: an invalid value", (H) => new H([["a", "x\ny"]])],
  ["get: no argument", (H) => loose(new H()).get?.()],
  ["set: one argument", (H) => loose(new H()).set?.("a")],
  ["append: one argument", (H) => loose(new H()).append?.("a")],
];

function outcome(run: () => unknown): { value: unknown } | { error: string } {
  try {
    return { value: run() };
  } catch (error) {
    return { error: (error as Error).constructor.name };
  }
}

describe("Headers (the bundles' own) against Node's global Headers", () => {
  for (const [name, run] of CASES) {
    it(name, () => {
      assert.deepEqual(outcome(() => run(MeshHeaders as HeadersClass)), outcome(() => run(globalThis.Headers)));
    });
  }

  for (const [name, run] of INVALID) {
    it(`refuses ${name} with a TypeError, as the global class does`, () => {
      assert.deepEqual(outcome(() => run(globalThis.Headers)), { error: "TypeError" }, "the global class accepts it: the case is wrong");
      assert.deepEqual(outcome(() => run(MeshHeaders as HeadersClass)), { error: "TypeError" });
    });
  }

  it("is what Connect's code expects of a Headers", () => {
    const h = new MeshHeaders({ "content-type": "application/grpc" });
    // Connect copies metadata with `new Headers(init)` and `forEach`, and builds Node's headers with entries.
    const copy = new globalThis.Headers(h);
    assert.deepEqual([...copy], [["content-type", "application/grpc"]]);
    assert.deepEqual(Object.fromEntries(h), { "content-type": "application/grpc" });
    assert.equal(JSON.stringify(h), "{}", "no field leaks into a log line");
  });
});
