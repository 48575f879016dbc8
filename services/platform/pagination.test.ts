import assert from "node:assert/strict";
import { test } from "node:test";
import { newId } from "./ids.js";
import { decodePageToken, encodePageToken, parseOrderBy, parsePageSize } from "./pagination.js";
import { Violations } from "./validation.js";

const fields = { name: "string", age: "number", create_time: "timestamp" } as const;
const fallback = { field: "create_time", direction: "asc" } as const;

test("page size: 0 means the default, out of range is a violation", () => {
  const v = new Violations();
  assert.equal(parsePageSize(v, 0), 50);
  assert.equal(parsePageSize(v, 1000), 1000);
  assert.equal(v.count, 0);
  parsePageSize(v, 1001);
  parsePageSize(v, -1);
  assert.equal(v.count, 2);
});

test("order_by accepts whitelisted fields with an optional direction, nothing else", () => {
  const v = new Violations();
  assert.deepEqual(parseOrderBy(v, "", fields, fallback), fallback);
  assert.deepEqual(parseOrderBy(v, "age DESC", fields, fallback), { field: "age", direction: "desc" });
  assert.deepEqual(parseOrderBy(v, " name ", fields, fallback), { field: "name", direction: "asc" });
  assert.equal(v.count, 0);
  for (const bad of ["salary", "age sideways", "name, age", "age; drop table users", "constructor", "__proto__"]) {
    parseOrderBy(v, bad, fields, fallback);
  }
  assert.equal(v.count, 6);
});

test("a page token round-trips for its own query only", () => {
  const orderBy = { field: "create_time", direction: "desc" } as const;
  const filter = { departmentId: "d" };
  const id = newId();
  const at = new Date("2026-01-02T03:04:05.678Z");
  const token = encodePageToken(orderBy, filter, { value: at, id });
  const v = new Violations();
  assert.deepEqual(decodePageToken(v, token, "timestamp", orderBy, filter), { value: at, id });
  assert.equal(decodePageToken(v, token, "timestamp", orderBy, { departmentId: "other" }), undefined);
  assert.equal(decodePageToken(v, token, "timestamp", { field: "create_time", direction: "asc" }, filter), undefined);
  assert.equal(v.count, 2);
});

test("forged or malformed tokens are violations, never exceptions", () => {
  const orderBy = { field: "age", direction: "asc" } as const;
  const forged = [
    "x",
    "!!!",
    Buffer.from("not json").toString("base64url"),
    Buffer.from("null").toString("base64url"),
    Buffer.from(JSON.stringify({ b: "zz", k: 1, i: newId() })).toString("base64url"),
    Buffer.from(JSON.stringify({ b: "zz", k: "1", i: newId() })).toString("base64url"),
    Buffer.from(JSON.stringify({ b: "zz", k: 1, i: "1; drop table" })).toString("base64url"),
    "A".repeat(5000),
  ];
  const v = new Violations();
  for (const token of forged) assert.equal(decodePageToken(v, token, "number", orderBy, {}), undefined);
  assert.equal(v.count, forged.length);
});
