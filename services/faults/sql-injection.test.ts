// SQL-injection strings in every string field, filter, order_by, page token
// and id of every service: each is refused with INVALID_ARGUMENT or kept as
// data (stored and read back verbatim, matched as text), never executed; the
// reference data and the row counts are intact afterwards.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { FieldMaskSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { BeerService } from "../../gen/mesh/beer/v1/beer_pb.js";
import { DepartmentService } from "../../gen/mesh/department/v1/department_pb.js";
import { PointService } from "../../gen/mesh/point/v1/point_pb.js";
import { UserService } from "../../gen/mesh/user/v1/user_pb.js";
import { REFERENCE_DEPARTMENTS, REFERENCE_USERS } from "../platform/reference-data.js";
import { grpcClient } from "../testing/harness.js";
import { startTestMesh, type TestMesh } from "../testing/mesh.js";
import { readReference } from "./reference-reads.js";

/** Classic, encoded and look-alike injections; none has leading or trailing white space (names are trimmed). */
const INJECTIONS = [
  "' OR 1=1 --",
  "'; DROP TABLE users; --",
  '"; DROP TABLE users; --',
  "%",
  "_",
  "\\",
  "\\'",
  "' OR ''='",
  "1; SELECT pg_sleep(3) --",
  "'; SELECT pg_sleep(3); --",
  "Robert'); DROP TABLE students;--",
  "‘ OR ‘1’=‘1",
  "’; DROP TABLE departments; --",
  "＇ OR １=１ --",
  "$$; DROP TABLE beers; $$",
  "' UNION SELECT id, email FROM users --",
  "%_%",
  "a%b_c\\d",
  "ʼ OR 1=1",
  "'||(SELECT current_user)||'",
  "/**/OR/**/1=1",
  "`users`",
  "E'\\x27'",
  "%' AND '1'='1",
  "\\\\'; --",
  "NULL",
  "🍺'; DELETE FROM beers; --",
  "name asc; DROP TABLE users",
];

/** The request id format every service accepts (platform/validation.ts). */
const REQUEST_ID = /^[A-Za-z0-9_\-.:]{1,100}$/;

/** Email addresses that are valid, yet full of SQL. */
const EMAILS = ["o'brien@example.com", "x'or'1'='1@example.com", "a%b_c@example.com", "back\\slash@example.com", "x';drop--@example.com"];

let mesh: TestMesh;

before(async () => {
  mesh = await startTestMesh();
});

after(() => mesh.stop());

async function code(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "OK";
  } catch (err) {
    return Code[ConnectError.from(err).code] ?? "?";
  }
}

const containsText = (name: string, text: string) => name.toLowerCase().includes(text.toLowerCase());

test("SQL in every string field, filter, order_by and id: refused or stored verbatim, never executed", async () => {
  const users = grpcClient(UserService, mesh.user.port);
  const points = grpcClient(PointService, mesh.point.port);
  const departments = grpcClient(DepartmentService, mesh.department.port);
  const beers = grpcClient(BeerService, mesh.beer.port);
  const { statistics: _whole, ...reference } = await readReference(mesh);
  const refused: string[] = [];
  let slowest = 0;
  const timed = async <T>(call: Promise<T>) => {
    const started = performance.now();
    try {
      return await call;
    } finally {
      slowest = Math.max(slowest, performance.now() - started);
    }
  };
  const expectInvalid = async (what: string, call: Promise<unknown>) => {
    assert.equal(await code(timed(call)), "InvalidArgument", what);
    refused.push(what);
  };
  const expectInvalidUnless = async (valid: boolean, what: string, call: Promise<unknown>) => {
    if (!valid) return expectInvalid(what, call);
    assert.equal(await code(timed(call)), "OK", what);
    stored++;
  };
  let stored = 0;
  const created = { users: 0, departments: 0, beers: 0 };

  for (const [i, s] of INJECTIONS.entries()) {
    // Stored as data and read back verbatim.
    const user = (await timed(users.createUser({ name: s, email: `sql${i}@example.com`, age: 30, salary: 1000, requestId: `sql-user-${i}` }))).user!;
    assert.equal(user.name, s);
    assert.equal((await users.getUser({ id: user.id })).user?.name, s);
    const renamed = `${s} (renamed)`;
    await users.updateUser({ user: { id: user.id, name: renamed }, updateMask: create(FieldMaskSchema, { paths: ["name"] }) });
    assert.equal((await users.getUser({ id: user.id })).user?.name, renamed);
    created.users++;

    const entry = (await timed(points.addPoints({ userId: randomUUID(), delta: 5n, reason: s, requestId: `sql-points-${i}` }))).entry!;
    assert.equal(entry.reason, s);
    // A retry under the same request id answers with the stored entry: the reason as read back.
    assert.equal((await points.addPoints({ userId: entry.userId, delta: 5n, reason: s, requestId: `sql-points-${i}` })).entry?.reason, s);

    const department = (await timed(departments.createDepartment({ name: s, address: s, city: s, requestId: `sql-dept-${i}` }))).department!;
    const readDepartment = (await departments.getDepartment({ id: department.id })).department!;
    assert.deepEqual([readDepartment.name, readDepartment.address, readDepartment.city], [s, s, s]);
    created.departments++;

    const beer = (await timed(beers.addBeer({ name: s, style: s, requestId: `sql-beer-${i}` }))).beer!;
    assert.deepEqual([beer.name, beer.style], [s, s]);
    await beers.renameBeer({ id: beer.id, name: `${s}!` });
    assert.equal((await beers.getBeer({ id: beer.id })).beer?.name, `${s}!`);
    created.beers++;
    stored += 4;

    // Filters match the text as text: % and _ are no wildcards, quotes end nothing.
    const allUsers = (await users.listUsers({ pageSize: 1000 })).users.map((u) => u.name);
    const matched = await timed(users.listUsers({ nameContains: s, pageSize: 1000 }));
    assert.deepEqual(matched.users.map((u) => u.name).sort(), allUsers.filter((n) => containsText(n, s)).sort(), `users matching ${s}`);
    assert.ok(matched.totalSize >= 1, `${s}: the renamed user itself matches`);
    const stats = await timed(users.getUserStatistics({ nameContains: s, pageSize: 1000 }));
    assert.equal(stats.totalSize, matched.totalSize);
    const allDepartments = (await departments.listDepartments({ pageSize: 1000 })).departments.map((d) => d.name);
    const matchedDepartments = await timed(departments.listDepartments({ nameContains: s, pageSize: 1000 }));
    assert.deepEqual(matchedDepartments.departments.map((d) => d.name).sort(), allDepartments.filter((n) => containsText(n, s)).sort());
    const allBeers = (await beers.listBeers({ pageSize: 1000 })).beers.map((b) => b.name);
    const matchedBeers = await timed(beers.listBeers({ nameContains: s, pageSize: 1000 }));
    assert.deepEqual(matchedBeers.beers.map((b) => b.name).sort(), allBeers.filter((n) => containsText(n, s)).sort());

    // Refused: order_by, page tokens, ids, request ids, cursors.
    await expectInvalid(`ListUsers order_by ${s}`, users.listUsers({ orderBy: s }));
    await expectInvalid(`ListUsers page_token ${s}`, users.listUsers({ pageToken: s }));
    await expectInvalid(`ListUsers department_id ${s}`, users.listUsers({ departmentId: s }));
    await expectInvalid(`GetUserStatistics order_by ${s}`, users.getUserStatistics({ orderBy: s }));
    await expectInvalid(`GetUser id ${s}`, users.getUser({ id: s }));
    await expectInvalid(`DeleteUser id ${s}`, users.deleteUser({ id: s }));
    await expectInvalid(`UpdateUser id ${s}`, users.updateUser({ user: { id: s, name: "x" }, updateMask: create(FieldMaskSchema, { paths: ["name"] }) }));
    await expectInvalid(`UpdateUser update_mask ${s}`, users.updateUser({ user: { id: user.id, name: "x" }, updateMask: create(FieldMaskSchema, { paths: [s] }) }));
    await expectInvalid(`CreateUser department_id ${s}`, users.createUser({ name: "n", email: `d${i}@example.com`, departmentId: s }));
    // A string that happens to be a well-formed request id ("_", "NULL") is one: kept as data.
    const idOk = REQUEST_ID.test(s);
    await expectInvalidUnless(idOk, `CreateUser request_id ${s}`, users.createUser({ name: "n", email: `r${i}@example.com`, requestId: s }));
    if (idOk) created.users++;
    await expectInvalid(`GetUserPoints user_id ${s}`, points.getUserPoints({ userId: s }));
    await expectInvalid(`BatchGetUserPoints user_ids ${s}`, points.batchGetUserPoints({ userIds: [REFERENCE_USERS[0]!.id, s] }));
    await expectInvalid(`AddPoints user_id ${s}`, points.addPoints({ userId: s, delta: 1n }));
    await expectInvalidUnless(idOk, `AddPoints request_id ${s}`, points.addPoints({ userId: randomUUID(), delta: 1n, requestId: s }));
    await expectInvalid(`ListDepartments order_by ${s}`, departments.listDepartments({ orderBy: s }));
    await expectInvalid(`ListDepartments page_token ${s}`, departments.listDepartments({ pageToken: s }));
    await expectInvalid(`GetDepartment id ${s}`, departments.getDepartment({ id: s }));
    await expectInvalid(`BatchGetDepartments ids ${s}`, departments.batchGetDepartments({ ids: [s] }));
    await expectInvalid(`GetDepartmentReport id ${s}`, departments.getDepartmentReport({ id: s }));
    await expectInvalid(`DeleteDepartment id ${s}`, departments.deleteDepartment({ id: s }));
    await expectInvalid(`UpdateDepartment update_mask ${s}`, departments.updateDepartment({ department: { id: department.id, name: "x" }, updateMask: create(FieldMaskSchema, { paths: [s] }) }));
    await expectInvalidUnless(idOk, `CreateDepartment request_id ${s}`, departments.createDepartment({ name: `dept ${i}`, requestId: s }));
    if (idOk) created.departments++;
    await expectInvalid(`ListBeers order_by ${s}`, beers.listBeers({ orderBy: s }));
    await expectInvalid(`ListBeers page_token ${s}`, beers.listBeers({ pageToken: s }));
    await expectInvalid(`GetBeer id ${s}`, beers.getBeer({ id: s }));
    await expectInvalid(`RemoveBeer id ${s}`, beers.removeBeer({ id: s }));
    await expectInvalid(`RenameBeer id ${s}`, beers.renameBeer({ id: s, name: "x" }));
    await expectInvalidUnless(idOk, `AddBeer request_id ${s}`, beers.addBeer({ name: `beer ${i}`, requestId: s }));
    if (idOk) created.beers++;
    await expectInvalid(
      `WatchBeerEvents after_cursor ${s}`,
      (async () => {
        for await (const _ of beers.watchBeerEvents({ afterCursor: s }, { timeoutMs: 2_000 })) break;
      })(),
    );
  }

  for (const [i, email] of EMAILS.entries()) {
    const user = (await timed(users.createUser({ name: `Mail ${i}`, email, age: 1, salary: 1 }))).user!;
    assert.equal((await users.getUser({ id: user.id })).user?.email, email);
    created.users++;
    stored++;
  }

  console.log(
    `# sql injection: ${INJECTIONS.length} strings and ${EMAILS.length} addresses; ${stored} writes of them stored and read back verbatim, ` +
      `${refused.length} requests refused with INVALID_ARGUMENT; slowest call ${Math.round(slowest)} ms`,
  );
  // pg_sleep(3) never ran.
  assert.ok(slowest < 2_500, `a call took ${Math.round(slowest)} ms`);
  // Tables intact: the reference rows read the same and every table holds exactly what was added.
  const { statistics: _after, ...afterwards } = await readReference(mesh);
  assert.deepEqual(afterwards, reference);
  assert.equal((await users.listUsers({})).totalSize, REFERENCE_USERS.length + created.users);
  assert.equal((await departments.listDepartments({})).totalSize, REFERENCE_DEPARTMENTS.length + created.departments);
  assert.equal((await beers.listBeers({})).totalSize, reference.beers.length + created.beers);
});
