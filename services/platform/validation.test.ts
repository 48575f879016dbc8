import assert from "node:assert/strict";
import { test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { Violations } from "./validation.js";

test("text is trimmed and bounded in characters, not bytes", () => {
  const v = new Violations();
  assert.equal(v.text("name", "  Zoë  ", 1, 3), "Zoë");
  assert.equal(v.text("name", "🍺🍺🍺", 1, 3), "🍺🍺🍺");
  assert.equal(v.count, 0);
  v.text("name", "   ", 1, 3);
  v.text("name", "abcd", 1, 3);
  v.text("name", "a\tb", 1, 3);
  assert.equal(v.count, 3);
});

test("emails are lower-cased; ids must be canonical UUIDs", () => {
  const v = new Violations();
  assert.equal(v.email("email", " Ann.Lee@Example.COM "), "ann.lee@example.com");
  v.id("id", "0190a5d2-8c3e-7b1a-9f2e-3c4d5e6f7a8b");
  assert.equal(v.count, 0);
  for (const bad of ["", "a@b", "@b.co", "a b@c.co", "a@@b.co"]) v.email("email", bad);
  for (const bad of ["", "123", "0190A5D2-8C3E-7B1A-9F2E-3C4D5E6F7A8B", "0190a5d2-8c3e-7b1a-9f2e-3c4d5e6f7a8b'--"]) v.id("id", bad);
  assert.equal(v.count, 9);
});

test("throwIfAny raises INVALID_ARGUMENT with every violation as BadRequest details", () => {
  const v = new Violations();
  v.throwIfAny();
  v.add("a", "is wrong");
  v.range("b", 5, 0, 4);
  assert.throws(
    () => v.throwIfAny(),
    (err: ConnectError) => {
      assert.equal(err.code, Code.InvalidArgument);
      const fields = err.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((f) => f.field));
      assert.deepEqual(fields, ["a", "b"]);
      return true;
    },
  );
});
