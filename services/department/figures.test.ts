// Unit tests of the report arithmetic.
import assert from "node:assert/strict";
import { test } from "node:test";
import { summarise, topUsers, totalPoints, type Member } from "./figures.js";

const member = (id: string, name: string): Member => ({ id, name, age: 30, salary: 1 });

test("summarise gives min, max and an average rounded to 2 decimals", () => {
  assert.deepEqual(summarise([90000, 48000, 85000]), { min: 48000, max: 90000, avg: 74333.33 });
  assert.deepEqual(summarise([40, 22, 38]), { min: 22, max: 40, avg: 33.33 });
  assert.deepEqual(summarise([1, 2]), { min: 1, max: 2, avg: 1.5 });
  assert.deepEqual(summarise([2, 2, 3]), { min: 2, max: 3, avg: 2.33 });
  assert.deepEqual(summarise([1, 1, 1, 2, 2, 2, 2, 2]), { min: 1, max: 2, avg: 1.63 });
});

test("summarise of nothing is undefined", () => {
  assert.equal(summarise([]), undefined);
});

test("topUsers ranks by points, then name, and keeps three", () => {
  const members = [member("a", "Zed"), member("b", "Amy"), member("c", "Bob"), member("d", "Cat"), member("e", "Dan")];
  const points = new Map([
    ["a", 50n],
    ["b", 50n],
    ["c", 70n],
    ["d", 10n],
  ]);
  assert.deepEqual(
    topUsers(members, points).map((r) => [r.name, r.points]),
    [
      ["Bob", 70n],
      ["Amy", 50n],
      ["Zed", 50n],
    ],
  );
});

test("members without points count as zero", () => {
  const members = [member("a", "Amy"), member("b", "Bob")];
  const points = new Map([["b", 5n]]);
  assert.equal(totalPoints(members, points), 5n);
  assert.deepEqual(
    topUsers(members, points).map((r) => [r.name, r.points]),
    [
      ["Bob", 5n],
      ["Amy", 0n],
    ],
  );
});
