// In-process RPC tests of DepartmentService's CRUD and list RPCs: real handlers
// and a real migrated database; the upstreams are never called by these RPCs.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { FieldMaskSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, createRouterTransport, type Client } from "@connectrpc/connect";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { DepartmentService } from "../../gen/mesh/department/v1/department_pb.js";
import { PointService } from "../../gen/mesh/point/v1/point_pb.js";
import { UserService } from "../../gen/mesh/user/v1/user_pb.js";
import { REFERENCE_DEPARTMENTS } from "../platform/reference-data.js";
import { openTestDatabase, type TestDatabase } from "../testing/database.js";
import { silentLogger } from "../testing/harness.js";
import { migrations } from "./migrations/index.js";
import type { DepartmentDatabase } from "./schema.js";
import { seedDepartments } from "./seed.js";
import { createDepartmentService } from "./service.js";

let database: TestDatabase<DepartmentDatabase>;
let client: Client<typeof DepartmentService>;
const [hr, finance, it] = REFERENCE_DEPARTMENTS as [(typeof REFERENCE_DEPARTMENTS)[0], (typeof REFERENCE_DEPARTMENTS)[0], (typeof REFERENCE_DEPARTMENTS)[0]];
const UNKNOWN_ID = "01900000-0000-7000-8000-ffffffffffff";

/** Field paths of the BadRequest violations carried by an INVALID_ARGUMENT error. */
async function violations(call: Promise<unknown>): Promise<string[]> {
  const err = await call.then(
    () => assert.fail("expected INVALID_ARGUMENT"),
    (e: unknown) => ConnectError.from(e),
  );
  assert.equal(err.code, Code.InvalidArgument, err.message);
  return err.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field));
}

function code(expected: Code) {
  return (e: unknown) => ConnectError.from(e).code === expected;
}

before(async () => {
  database = await openTestDatabase<DepartmentDatabase>("department", migrations);
  await seedDepartments(database.db);
  await seedDepartments(database.db); // idempotent
  // No upstream is reachable: these RPCs must not need one.
  const nowhere = createRouterTransport(() => {});
  const impl = createDepartmentService({
    db: database.db,
    users: createClient(UserService, nowhere),
    points: createClient(PointService, nowhere),
    logger: silentLogger(),
    upstreamTimeoutMs: 1000,
  });
  client = createClient(DepartmentService, createRouterTransport(({ service }) => service(DepartmentService, impl)));
});

after(() => database.dispose());

describe("GetDepartment", () => {
  test("returns a seeded department with its fixed id", async () => {
    const { department } = await client.getDepartment({ id: it.id });
    assert.equal(department?.name, "IT Support");
    assert.equal(department?.address, "789 Oak St");
    assert.equal(department?.city, "Springfield");
    assert.ok(department?.createTime && department.updateTime);
  });

  test("an unknown id is NOT_FOUND, a malformed one INVALID_ARGUMENT", async () => {
    await assert.rejects(client.getDepartment({ id: UNKNOWN_ID }), code(Code.NotFound));
    assert.deepEqual(await violations(client.getDepartment({ id: "42" })), ["id"]);
    assert.deepEqual(await violations(client.getDepartment({ id: "" })), ["id"]);
  });
});

describe("ListDepartments", () => {
  test("defaults to creation order, ties by id, with the total", async () => {
    const res = await client.listDepartments({});
    assert.equal(res.totalSize, 3);
    assert.deepEqual(res.departments.map((d) => d.id), [hr.id, finance.id, it.id]);
    assert.equal(res.nextPageToken, "");
  });

  test("pages by name in both directions with a correct total on every page", async () => {
    for (const [direction, expected] of [
      ["asc", ["Finance", "Human Resources", "IT Support"]],
      ["desc", ["IT Support", "Human Resources", "Finance"]],
    ] as const) {
      const seen: string[] = [];
      let pageToken = "";
      do {
        const res = await client.listDepartments({ pageSize: 1, orderBy: `name ${direction}`, pageToken });
        assert.equal(res.totalSize, 3);
        seen.push(...res.departments.map((d) => d.name));
        pageToken = res.nextPageToken;
      } while (pageToken !== "");
      assert.deepEqual(seen, expected);
    }
  });

  test("filters by name substring, case-insensitive, treating the text as data", async () => {
    const res = await client.listDepartments({ nameContains: "sUPPORT" });
    assert.deepEqual(res.departments.map((d) => d.name), ["IT Support"]);
    assert.equal(res.totalSize, 1);
    assert.equal((await client.listDepartments({ nameContains: "%" })).totalSize, 0);
    assert.equal((await client.listDepartments({ nameContains: "_" })).totalSize, 0);
  });

  test("rejects bad list parameters with field violations", async () => {
    assert.deepEqual(await violations(client.listDepartments({ pageSize: -1 })), ["page_size"]);
    assert.deepEqual(await violations(client.listDepartments({ pageSize: 1001 })), ["page_size"]);
    assert.deepEqual(await violations(client.listDepartments({ orderBy: "city" })), ["order_by"]);
    assert.deepEqual(await violations(client.listDepartments({ orderBy: "name sideways" })), ["order_by"]);
    assert.deepEqual(await violations(client.listDepartments({ pageToken: "forged" })), ["page_token"]);
    assert.deepEqual(await violations(client.listDepartments({ nameContains: "x".repeat(101) })), ["name_contains"]);
    const page = await client.listDepartments({ pageSize: 1, orderBy: "name" });
    // A token is bound to its order and filter.
    assert.deepEqual(await violations(client.listDepartments({ orderBy: "create_time", pageToken: page.nextPageToken })), [
      "page_token",
    ]);
    assert.deepEqual(
      await violations(client.listDepartments({ orderBy: "name", nameContains: "i", pageToken: page.nextPageToken })),
      ["page_token"],
    );
  });
});

describe("BatchGetDepartments", () => {
  test("returns known departments keyed by id; unknown ids are absent", async () => {
    const res = await client.batchGetDepartments({ ids: [finance.id, UNKNOWN_ID, it.id, finance.id] });
    assert.deepEqual(Object.keys(res.departments).sort(), [finance.id, it.id].sort());
    assert.equal(res.departments[it.id]?.name, "IT Support");
  });

  test("needs 1-1000 well-formed ids", async () => {
    assert.deepEqual(await violations(client.batchGetDepartments({ ids: [] })), ["ids"]);
    assert.deepEqual(await violations(client.batchGetDepartments({ ids: Array(1001).fill(it.id) })), ["ids"]);
    assert.deepEqual(await violations(client.batchGetDepartments({ ids: [it.id, "nope"] })), ["ids[1]"]);
    assert.equal(Object.keys((await client.batchGetDepartments({ ids: Array(1000).fill(it.id) })).departments).length, 1);
  });
});

describe("CreateDepartment, UpdateDepartment, DeleteDepartment", () => {
  test("round trip: trimmed name, optional address and city, field-mask update, delete", async () => {
    const { department } = await client.createDepartment({ name: "  Research  ", city: " Shelbyville " });
    assert.ok(department);
    assert.equal(department.name, "Research");
    assert.equal(department.address, "");
    assert.equal(department.city, "Shelbyville");
    assert.match(department.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    assert.deepEqual((await client.getDepartment({ id: department.id })).department, department);

    const moved = await client.updateDepartment({
      department: { id: department.id, address: "1 Lab Rd", name: "ignored: not in the mask" },
      updateMask: create(FieldMaskSchema, { paths: ["address"] }),
    });
    assert.equal(moved.department?.address, "1 Lab Rd");
    assert.equal(moved.department?.name, "Research");
    assert.equal(moved.department?.city, "Shelbyville");

    // An empty mask replaces every updatable field, clearing the ones left empty.
    const replaced = await client.updateDepartment({ department: { id: department.id, name: "R&D" } });
    assert.deepEqual([replaced.department?.name, replaced.department?.address, replaced.department?.city], ["R&D", "", ""]);

    await client.deleteDepartment({ id: department.id });
    await assert.rejects(client.getDepartment({ id: department.id }), code(Code.NotFound));
    await assert.rejects(client.deleteDepartment({ id: department.id }), code(Code.NotFound));
  });

  test("a taken name, in any case, is ALREADY_EXISTS on create and on update", async () => {
    await assert.rejects(client.createDepartment({ name: " FINANCE " }), code(Code.AlreadyExists));
    await assert.rejects(
      client.updateDepartment({
        department: { id: hr.id, name: "it support" },
        updateMask: create(FieldMaskSchema, { paths: ["name"] }),
      }),
      code(Code.AlreadyExists),
    );
    // Changing the case of its own name is not a conflict.
    const renamed = await client.updateDepartment({
      department: { id: finance.id, name: "FINANCE" },
      updateMask: create(FieldMaskSchema, { paths: ["name"] }),
    });
    assert.equal(renamed.department?.name, "FINANCE");
    await client.updateDepartment({ department: { id: finance.id, name: "Finance" }, updateMask: create(FieldMaskSchema, { paths: ["name"] }) });
  });

  test("concurrent creates of one name make exactly one department", async () => {
    const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => client.createDepartment({ name: i % 2 ? "Legal" : "LEGAL" })));
    const created = results.filter((r) => r.status === "fulfilled");
    assert.equal(created.length, 1);
    assert.ok(results.every((r) => r.status === "fulfilled" || ConnectError.from(r.reason).code === Code.AlreadyExists));
    const { departments } = await client.listDepartments({ nameContains: "legal" });
    assert.equal(departments.length, 1);
    await client.deleteDepartment({ id: departments[0]!.id });
  });

  test("a retry with the same request_id creates one department; other content under it is rejected", async () => {
    const request = { name: "Idempotent Dept", address: "2 Retry Ln", requestId: "create-dept-1" };
    const [a, b] = await Promise.all([client.createDepartment(request), client.createDepartment(request)]);
    assert.deepEqual(a.department, b.department);
    assert.deepEqual((await client.createDepartment(request)).department, a.department);
    assert.equal((await client.listDepartments({ nameContains: "Idempotent" })).totalSize, 1);
    assert.deepEqual(await violations(client.createDepartment({ ...request, city: "Elsewhere" })), ["request_id"]);
    await client.deleteDepartment({ id: a.department!.id });
  });

  test("update and delete of an unknown id are NOT_FOUND", async () => {
    await assert.rejects(client.updateDepartment({ department: { id: UNKNOWN_ID, name: "Ghost" } }), code(Code.NotFound));
    await assert.rejects(client.deleteDepartment({ id: UNKNOWN_ID }), code(Code.NotFound));
  });

  test("bad input is INVALID_ARGUMENT with every field named, and writes nothing", async () => {
    const before = await client.listDepartments({});
    assert.deepEqual(
      await violations(client.createDepartment({ name: " ", address: "a".repeat(201), city: "c".repeat(101), requestId: "no spaces" })),
      ["name", "address", "city", "request_id"],
    );
    assert.deepEqual(await violations(client.createDepartment({ name: "x".repeat(101) })), ["name"]);
    assert.deepEqual(await violations(client.createDepartment({ name: "Tab\tName" })), ["name"]);
    assert.deepEqual(await violations(client.createDepartment({ name: "Ok", city: "Nul\u0000" })), ["city"]);
    assert.deepEqual(await violations(client.updateDepartment({})), ["department"]);
    assert.deepEqual(
      await violations(client.updateDepartment({ department: { id: "x", name: "" } })),
      ["department.id", "department.name"],
    );
    assert.deepEqual(
      await violations(
        client.updateDepartment({ department: { id: it.id, name: "New" }, updateMask: create(FieldMaskSchema, { paths: ["name", "id"] }) }),
      ),
      ["update_mask"],
    );
    assert.deepEqual(await violations(client.deleteDepartment({ id: "x" })), ["id"]);
    assert.deepEqual(await client.listDepartments({}), before);
  });
});
