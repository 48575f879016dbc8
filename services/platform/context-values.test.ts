// CallValues against Connect's createContextValues: the same answers to the
// same sequence of get, set and delete.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createContextKey, createContextValues, type ContextValues } from "@connectrpc/connect";
import { CallValues } from "./context-values.js";

const name = createContextKey("nobody", { description: "name" });
const count = createContextKey(0);
const maybe = createContextKey<string | undefined>(undefined);

function script(values: ContextValues): unknown[] {
  const seen: unknown[] = [values.get(name), values.get(count), values.get(maybe)];
  values.set(name, "ada").set(count, 2);
  seen.push(values.get(name), values.get(count));
  // A value set to undefined is present: its default is not used.
  const withDefault = createContextKey<string | undefined>("default");
  values.set(withDefault, undefined);
  seen.push(values.get(withDefault));
  values.delete(name);
  seen.push(values.get(name), values.get(count));
  // Keys made with the same description are different keys.
  seen.push(values.get(createContextKey("other", { description: "name" })));
  return seen;
}

test("CallValues answers as Connect's createContextValues does", () => {
  const ours = script(new CallValues());
  assert.deepEqual(ours, script(createContextValues()));
  assert.deepEqual(ours, ["nobody", 0, undefined, "ada", 2, undefined, "nobody", 2, "other"]);
});

test("set and delete return the same object, for chaining", () => {
  const values = new CallValues();
  assert.equal(values.set(count, 1), values);
  assert.equal(values.delete(count), values);
});
