// One tour per service: every RPC of it, called with JSON through a Caller
// (so the same tour runs over grpcurl, buf curl and curl), walking
// create -> get -> list -> update -> delete, the error codes with their
// google.rpc details, and (where the tool streams) WatchBeerEvents. Each run
// names what it creates with its own tag, and deletes it again, so tours can
// run one after another on one mesh and leave the reference data as it was.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Code, fails, ok, type Caller, type Json } from "./callers.js";
import { REF } from "./mesh-facts.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function userTour(c: Caller, tag: string): Promise<void> {
  const name = `E2E User ${tag}`;
  const created = ok(
    await c.call("user", "CreateUser", { name, email: `E2E.${tag}@Example.com`, age: 33, salary: 50000, department_id: REF.departments.hr }),
  ).user;
  assert.match(created.id, UUID, "ids are UUIDv7");
  assert.deepEqual(
    [created.name, created.email, created.age, created.salary, created.departmentId],
    [name, `e2e.${tag}@example.com`, 33, 50000, REF.departments.hr],
  );
  const id: string = created.id;

  fails(await c.call("user", "CreateUser", { name: "Someone Else", email: `e2e.${tag}@EXAMPLE.com`, age: 20, salary: 1 }), Code.ALREADY_EXISTS, {
    reason: "USER_ALREADY_EXISTS",
  });
  fails(await c.call("user", "CreateUser", { name: "", email: "x", age: 200, salary: 5 }), Code.INVALID_ARGUMENT, {
    fields: ["name", "email", "age"],
  });

  assert.deepEqual(ok(await c.call("user", "GetUser", { id })).user, created);

  const listed = ok(await c.call("user", "ListUsers", { name_contains: tag }));
  assert.deepEqual([listed.users.map((u: Json) => u.id), listed.totalSize], [[id], 1]);
  // Keyset pages: total_size counts every match on every page.
  const page1 = ok(await c.call("user", "ListUsers", { department_id: REF.departments.itSupport, order_by: "age desc", page_size: 2 }));
  assert.deepEqual([page1.users.map((u: Json) => u.id), page1.totalSize], [[REF.users.george, REF.users.ian], 3]);
  assert.ok(page1.nextPageToken, "a next page token after page 1");
  const page2 = ok(
    await c.call("user", "ListUsers", { department_id: REF.departments.itSupport, order_by: "age desc", page_size: 2, page_token: page1.nextPageToken }),
  );
  assert.deepEqual([page2.users.map((u: Json) => u.id), page2.totalSize, page2.nextPageToken ?? ""], [[REF.users.hannah], 3, ""]);

  const updated = ok(await c.call("user", "UpdateUser", { user: { id, name: `${name} renamed`, age: 34, salary: 1 }, update_mask: c.fieldMask(["name", "age"]) })).user;
  assert.deepEqual(
    [updated.name, updated.age, updated.salary, updated.email, updated.createTime],
    [`${name} renamed`, 34, 50000, created.email, created.createTime],
    "only the masked fields change",
  );
  fails(await c.call("user", "UpdateUser", { user: { id, age: -1 }, update_mask: c.fieldMask(["age", "id"]) }), Code.INVALID_ARGUMENT, {
    fields: ["user.age", "update_mask"],
  });

  const stats = ok(await c.call("user", "GetUserStatistics", { name_contains: tag }));
  assert.equal(stats.totalSize, 1);
  assert.deepEqual(
    stats.users.map((r: Json) => [r.user.id, r.points, r.departmentName]),
    [[id, "0", "Human Resources"]],
    "joined with points (0) and the department name",
  );
  assert.deepEqual([stats.age, stats.salary, stats.degraded ?? []], [{ min: 34, max: 34, avg: 34 }, { min: 50000, max: 50000, avg: 50000 }, []]);

  assert.deepEqual(ok(await c.call("user", "DeleteUser", { id })), {});
  fails(await c.call("user", "GetUser", { id }), Code.NOT_FOUND, { reason: "USER_NOT_FOUND" });
  fails(await c.call("user", "DeleteUser", { id }), Code.NOT_FOUND, { reason: "USER_NOT_FOUND" });
  fails(await c.call("user", "UpdateUser", { user: { id, age: 1 }, update_mask: c.fieldMask(["age"]) }), Code.NOT_FOUND);
  fails(await c.call("user", "GetUser", { id: "not-an-id" }), Code.INVALID_ARGUMENT, { fields: ["id"] });
}

export async function pointTour(c: Caller, tag: string): Promise<void> {
  const userId = randomUUID();
  assert.deepEqual(ok(await c.call("point", "GetUserPoints", { user_id: REF.users.george })), { userId: REF.users.george, points: "93" });

  const requestId = `e2e-${tag}`;
  const added = ok(await c.call("point", "AddPoints", { user_id: userId, delta: 5, request_id: requestId, reason: "e2e" }));
  assert.deepEqual(
    [added.entry.userId, added.entry.delta, added.entry.reason, added.entry.requestId, added.points],
    [userId, "5", "e2e", requestId, "5"],
  );
  assert.match(added.entry.id, UUID);
  const retried = ok(await c.call("point", "AddPoints", { user_id: userId, delta: 5, request_id: requestId, reason: "e2e" }));
  assert.deepEqual([retried.entry.id, retried.points], [added.entry.id, "5"], "a retry with the same request id adds nothing");
  fails(await c.call("point", "AddPoints", { user_id: userId, delta: 6, request_id: requestId }), Code.INVALID_ARGUMENT, {
    fields: ["request_id"],
  });

  fails(await c.call("point", "AddPoints", { user_id: userId, delta: -10 }), Code.FAILED_PRECONDITION, { reason: "INSUFFICIENT_POINTS" });
  fails(await c.call("point", "AddPoints", { user_id: "nobody", delta: 0 }), Code.INVALID_ARGUMENT, { fields: ["user_id", "delta"] });

  assert.deepEqual(ok(await c.call("point", "BatchGetUserPoints", { user_ids: [userId, REF.users.george, userId] })).points, {
    [userId]: "5",
    [REF.users.george]: "93",
  });
  fails(await c.call("point", "BatchGetUserPoints", { user_ids: [] }), Code.INVALID_ARGUMENT, { fields: ["user_ids"] });

  const top = ok(await c.call("point", "ListTopUsers", { limit: 3 }));
  assert.deepEqual(
    top.users.map((u: Json) => [u.userId, u.points]),
    REF.topUsers.map((t) => [...t]),
  );
  fails(await c.call("point", "ListTopUsers", { limit: 101 }), Code.INVALID_ARGUMENT, { fields: ["limit"] });
  assert.deepEqual(ok(await c.call("point", "GetUserPoints", { user_id: userId })), { userId, points: "5" });
}

export async function departmentTour(c: Caller, tag: string): Promise<void> {
  const name = `E2E Dept ${tag}`;
  const created = ok(await c.call("department", "CreateDepartment", { name, address: "1 Test Rd", city: "Springfield" })).department;
  assert.match(created.id, UUID);
  assert.deepEqual([created.name, created.address, created.city], [name, "1 Test Rd", "Springfield"]);
  const id: string = created.id;

  fails(await c.call("department", "CreateDepartment", { name: name.toLowerCase() }), Code.ALREADY_EXISTS, {
    reason: "DEPARTMENT_ALREADY_EXISTS",
  });
  fails(await c.call("department", "CreateDepartment", { name: " ", city: "x".repeat(101) }), Code.INVALID_ARGUMENT, {
    fields: ["name", "city"],
  });

  assert.deepEqual(ok(await c.call("department", "GetDepartment", { id })).department, created);
  const listed = ok(await c.call("department", "ListDepartments", { name_contains: tag }));
  assert.deepEqual([listed.departments.map((d: Json) => d.id), listed.totalSize], [[id], 1]);

  const batch = ok(await c.call("department", "BatchGetDepartments", { ids: [id, REF.departments.itSupport, randomUUID()] }));
  assert.deepEqual(Object.keys(batch.departments).sort(), [id, REF.departments.itSupport].sort(), "unknown ids are absent");
  assert.equal(batch.departments[REF.departments.itSupport].name, "IT Support");

  const updated = ok(await c.call("department", "UpdateDepartment", { department: { id, city: "Shelbyville", name: "ignored" }, update_mask: c.fieldMask(["city"]) }))
    .department;
  assert.deepEqual([updated.name, updated.address, updated.city], [name, "1 Test Rd", "Shelbyville"]);

  const empty = ok(await c.call("department", "GetDepartmentReport", { id }));
  assert.deepEqual([empty.department.id, empty.headcount, empty.totalPoints, empty.degraded ?? []], [id, 0, "0", []]);
  assertItSupportReport(ok(await c.call("department", "GetDepartmentReport", { id: REF.departments.itSupport })));

  assert.deepEqual(ok(await c.call("department", "DeleteDepartment", { id })), {});
  fails(await c.call("department", "GetDepartment", { id }), Code.NOT_FOUND, { reason: "DEPARTMENT_NOT_FOUND" });
  fails(await c.call("department", "GetDepartmentReport", { id }), Code.NOT_FOUND, { reason: "DEPARTMENT_NOT_FOUND" });
  fails(await c.call("department", "DeleteDepartment", { id }), Code.NOT_FOUND);
}

/** The IT Support report of the reference data, complete. */
export function assertItSupportReport(report: Json): void {
  const it = REF.itSupport;
  assert.equal(report.department.name, "IT Support");
  assert.deepEqual(
    [report.headcount, report.totalPoints, report.age, report.salary, report.degraded ?? []],
    [it.headcount, it.totalPoints, it.age, it.salary, []],
  );
  assert.deepEqual(
    report.topUsers.map((u: Json) => [u.userId, u.name, u.points]),
    it.top.map((t) => [...t]),
  );
}

const ADDED = "BEER_EVENT_TYPE_ADDED";
const RENAMED = "BEER_EVENT_TYPE_RENAMED";
const REMOVED = "BEER_EVENT_TYPE_REMOVED";

export async function beerTour(c: Caller, tag: string): Promise<void> {
  const name = `E2E Beer ${tag}`;
  const added = ok(await c.call("beer", "AddBeer", { name, style: "Stout", abv: 6.5 })).beer;
  assert.match(added.id, UUID);
  assert.deepEqual([added.name, added.style, added.abv], [name, "Stout", 6.5]);
  const id: string = added.id;

  fails(await c.call("beer", "AddBeer", { name: name.toUpperCase() }), Code.ALREADY_EXISTS, { reason: "BEER_ALREADY_EXISTS" });
  fails(await c.call("beer", "AddBeer", { name: "", abv: 99 }), Code.INVALID_ARGUMENT, { fields: ["name", "abv"] });

  assert.deepEqual(ok(await c.call("beer", "GetBeer", { id })).beer, added);
  const listed = ok(await c.call("beer", "ListBeers", { name_contains: tag }));
  assert.deepEqual([listed.beers.map((b: Json) => b.id), listed.totalSize], [[id], 1]);
  const firstTwo = ok(await c.call("beer", "ListBeers", { order_by: "name asc", page_size: 2 }));
  assert.deepEqual(firstTwo.beers.map((b: Json) => b.name), REF.beers.namesAscending.slice(0, 2));
  assert.ok(firstTwo.nextPageToken, "more than two beers: a next page token");
  fails(await c.call("beer", "ListBeers", { order_by: "colour" }), Code.INVALID_ARGUMENT, { fields: ["order_by"] });

  const renamed = ok(await c.call("beer", "RenameBeer", { id, name: `${name} renamed` })).beer;
  assert.deepEqual([renamed.id, renamed.name, renamed.style], [id, `${name} renamed`, "Stout"]);

  let addedCursor: string | undefined;
  if (c.openStream !== undefined) {
    // From the start of the feed: the seed first, then this tour's events.
    const watch = c.openStream("beer", "WatchBeerEvents", {});
    try {
      const events = (await watch.waitFor((ms) => ms.some((m) => m.event.type === RENAMED && m.event.beer.id === id), 20_000)).map((m) => m.event);
      assert.deepEqual([events[0].cursor, events[0].type, events[0].beer.id], ["1", ADDED, REF.beers.duff], "the feed starts with the seed");
      const mine = events.filter((e) => e.beer.id === id);
      assert.deepEqual(
        mine.map((e) => [e.type, e.beer.name, e.previousName ?? ""]),
        [
          [ADDED, name, ""],
          [RENAMED, `${name} renamed`, name],
        ],
      );
      addedCursor = mine[0].cursor;
      const cursors = events.map((e) => BigInt(e.cursor));
      assert.ok(cursors.every((x, i) => i === 0 || x > cursors[i - 1]!), "cursors increase");
    } finally {
      await watch.stop();
    }
  }

  const removed = ok(await c.call("beer", "RemoveBeer", { id })).beer;
  assert.deepEqual([removed.id, removed.name], [id, `${name} renamed`]);
  fails(await c.call("beer", "GetBeer", { id }), Code.NOT_FOUND, { reason: "BEER_NOT_FOUND" });
  fails(await c.call("beer", "RemoveBeer", { id }), Code.NOT_FOUND, { reason: "BEER_NOT_FOUND" });
  fails(await c.call("beer", "RenameBeer", { id, name: "x" }), Code.NOT_FOUND);

  if (c.openStream !== undefined && addedCursor !== undefined) {
    // Resumed after this tour's ADDED event: exactly its rename and removal.
    const watch = c.openStream("beer", "WatchBeerEvents", { after_cursor: addedCursor });
    try {
      const events = (await watch.waitFor((ms) => ms.length >= 2, 20_000)).map((m) => m.event);
      assert.deepEqual(
        events.map((e) => [e.type, e.beer.id]),
        [
          [RENAMED, id],
          [REMOVED, id],
        ],
      );
    } finally {
      await watch.stop();
    }
    fails(await c.call("beer", "WatchBeerEvents", { after_cursor: "not-a-cursor" }), Code.INVALID_ARGUMENT, { fields: ["after_cursor"] });
  }
}

export const TOURS = { user: userTour, point: pointTour, department: departmentTour, beer: beerTour } as const;
