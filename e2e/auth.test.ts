// Writes need a token: the mesh as `npm start` runs it (AUTH_JWT_SECRET set by
// the harness), driven by grpcurl, curl and grpc-js. Every method with side
// effects is called without a token, with an expired one, a forged one, a
// tampered one and one without mesh:write: each is refused with the right code
// and reason, and reading back shows nothing was written. Reads, health and
// reflection need no token; the token start.ts prints writes.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, afterEach, before, describe, test } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel as Idempotency } from "@bufbuild/protobuf/wkt";
import * as pointPb from "../gen/mesh/point/v1/point_pb.js";
import { randomSecret, signToken } from "../services/platform/auth-token.js";
import { Code, connectOutcome, curlJson, fails, grpcurlCaller, ok, type Caller, type Json } from "./callers.js";
import { rawClient, rawUnary } from "./grpc-js.js";
import { startMesh, type Mesh } from "./harness.js";
import { CONTRACT, fullMethod, REF, SERVICE_NAMES, type ServiceName } from "./mesh-facts.js";
import { describeRun, run, suiteTools, toolTimes } from "./tools.js";

const tools = suiteTools();
if (tools !== undefined) {
  let mesh: Mesh;
  let anyFailed = false;
  const tag = randomBytes(4).toString("hex");

  before(
    async () => {
      mesh = await startMesh();
      console.log(`mesh started by scripts/start.ts in ${(mesh.startupMs / 1000).toFixed(1)} s (database ${mesh.database.name}, logs ${mesh.logPath})`);
    },
    { timeout: 240_000 },
  );
  afterEach((t) => {
    if ((t as { passed?: boolean }).passed !== true) anyFailed = true;
  });
  after(
    async () => {
      const exit = await mesh?.stop(anyFailed);
      console.log(`tool time in auth.test.ts:\n${toolTimes()}`);
      if (exit !== undefined) assert.deepEqual(exit, { code: 0, signal: null }, "start.ts stops cleanly");
    },
    { timeout: 60_000 },
  );

  /** Every method with side effects, a request for it, and a read that shows it did not happen. */
  interface Write {
    readonly service: ServiceName;
    readonly method: string;
    readonly request: Json;
    readonly unchanged: (reader: Caller) => Promise<void>;
  }
  const WRITES: Write[] = [
    {
      service: "user",
      method: "CreateUser",
      request: { name: `Intruder ${tag}`, email: `intruder.${tag}@example.com`, age: 30, salary: 1, department_id: REF.departments.hr },
      unchanged: async (r) => assert.equal(ok(await r.call("user", "ListUsers", { name_contains: tag })).totalSize ?? 0, 0),
    },
    {
      service: "user",
      method: "UpdateUser",
      request: { user: { id: REF.users.george, name: "Hacked" }, update_mask: { paths: ["name"] } },
      unchanged: async (r) => assert.equal(ok(await r.call("user", "GetUser", { id: REF.users.george })).user.name, "George Costanza"),
    },
    {
      service: "user",
      method: "DeleteUser",
      request: { id: REF.users.diana },
      unchanged: async (r) => assert.equal(ok(await r.call("user", "GetUser", { id: REF.users.diana })).user.name, "Diana Prince"),
    },
    {
      service: "point",
      method: "AddPoints",
      request: { user_id: REF.users.george, delta: 1000, reason: "intrusion" },
      unchanged: async (r) => assert.equal(ok(await r.call("point", "GetUserPoints", { user_id: REF.users.george })).points, "93"),
    },
    {
      service: "department",
      method: "CreateDepartment",
      request: { name: `Intruders ${tag}`, address: "1 Nowhere", city: "Springfield" },
      unchanged: async (r) => assert.equal(ok(await r.call("department", "ListDepartments", { name_contains: tag })).totalSize ?? 0, 0),
    },
    {
      service: "department",
      method: "UpdateDepartment",
      request: { department: { id: REF.departments.itSupport, name: "Hacked" }, update_mask: { paths: ["name"] } },
      unchanged: async (r) =>
        assert.equal(ok(await r.call("department", "GetDepartment", { id: REF.departments.itSupport })).department.name, "IT Support"),
    },
    {
      service: "department",
      method: "DeleteDepartment",
      request: { id: REF.departments.finance },
      unchanged: async (r) => assert.equal(ok(await r.call("department", "GetDepartment", { id: REF.departments.finance })).department.name, "Finance"),
    },
    {
      service: "beer",
      method: "AddBeer",
      request: { name: `Intruder ${tag}`, style: "Stout" },
      unchanged: async (r) => assert.deepEqual(ok(await r.call("beer", "ListBeers", { name_contains: tag })).beers ?? [], []),
    },
    {
      service: "beer",
      method: "RemoveBeer",
      request: { id: REF.beers.duff },
      unchanged: async (r) => assert.equal(ok(await r.call("beer", "GetBeer", { id: REF.beers.duff })).beer.name, "Duff"),
    },
    {
      service: "beer",
      method: "RenameBeer",
      request: { id: REF.beers.duff, name: "Hacked" },
      unchanged: async (r) => assert.equal(ok(await r.call("beer", "GetBeer", { id: REF.beers.duff })).beer.name, "Duff"),
    },
  ];

  /** A token whose payload was edited after signing (mesh:read became mesh:write): its signature no longer matches. */
  const tampered = (token: string) => {
    const [header, payload, signature] = token.split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    return `${header}.${Buffer.from(JSON.stringify({ ...claims, scope: "mesh:read mesh:write" })).toString("base64url")}.${signature}`;
  };

  test("the contract's methods with side effects are exactly the ones tested here", () => {
    const mutating = SERVICE_NAMES.flatMap((s) =>
      CONTRACT[s].methods.filter((m) => m.idempotency !== Idempotency.NO_SIDE_EFFECTS).map((m) => fullMethod(s, m.name)),
    );
    assert.deepEqual(mutating.sort(), WRITES.map((w) => fullMethod(w.service, w.method)).sort());
  });

  describe("writes without the right are refused and write nothing (grpcurl)", () => {
    const kinds: Array<[name: string, token: () => Promise<string | undefined>, code: number, reason: string]> = [
      ["no token", async () => undefined, Code.UNAUTHENTICATED, "TOKEN_MISSING"],
      ["an expired token", () => mesh.mintToken({ expiresInSeconds: -3600 }), Code.UNAUTHENTICATED, "TOKEN_EXPIRED"],
      ["a token signed with another secret", () => signToken({ secret: randomSecret() }), Code.UNAUTHENTICATED, "TOKEN_INVALID"],
      ["a read token edited to claim mesh:write", async () => tampered(await mesh.mintToken({ scopes: ["mesh:read"] })), Code.UNAUTHENTICATED, "TOKEN_INVALID"],
      ["a valid token without mesh:write", () => mesh.mintToken({ scopes: ["mesh:read"] }), Code.PERMISSION_DENIED, "MISSING_SCOPE"],
    ];
    for (const [name, token, code, reason] of kinds) {
      test(`${name}: ${code === Code.UNAUTHENTICATED ? "UNAUTHENTICATED" : "PERMISSION_DENIED"} (${reason}) for every write`, async () => {
        const caller = grpcurlCaller(tools, mesh.endpoints, await token());
        const reader = grpcurlCaller(tools, mesh.endpoints);
        for (const write of WRITES) {
          const outcome = await caller.call(write.service, write.method, write.request);
          fails(outcome, code, { reason });
          if (!outcome.ok && reason === "MISSING_SCOPE") {
            assert.deepEqual(outcome.details.find((d) => d.type === "google.rpc.ErrorInfo")?.metadata, { scope: "mesh:write" });
          }
          await write.unchanged(reader);
        }
      });
    }
  });

  test("curl (Connect over HTTP/1.1): 401 without a token, 403 without the scope, nothing written", async () => {
    const post = (token: string | undefined) =>
      curlJson(tools, "1.1", [
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        ...(token === undefined ? [] : ["-H", `authorization: Bearer ${token}`]),
        "--data-binary",
        JSON.stringify({ name: `Curl Intruder ${tag}` }),
        `http://127.0.0.1:${mesh.endpoints.beer.httpPort}/${fullMethod("beer", "AddBeer")}`,
      ]);
    const anonymous = await post(undefined);
    assert.equal(anonymous.status, 401);
    fails(connectOutcome(anonymous), Code.UNAUTHENTICATED, { reason: "TOKEN_MISSING" });
    const reader = await post(await mesh.mintToken({ scopes: ["mesh:read"] }));
    assert.equal(reader.status, 403);
    fails(connectOutcome(reader), Code.PERMISSION_DENIED, { reason: "MISSING_SCOPE" });
    assert.deepEqual(ok(await grpcurlCaller(tools, mesh.endpoints).call("beer", "ListBeers", { name_contains: `Curl Intruder ${tag}` })).beers ?? [], []);
  });

  test("grpc-js with protobuf bytes: AddPoints without a token is UNAUTHENTICATED, with one it adds", async () => {
    const request = toBinary(
      pointPb.AddPointsRequestSchema,
      create(pointPb.AddPointsRequestSchema, { userId: REF.users.hannah, delta: 2n, requestId: `e2e-auth-${tag}` }),
    );
    const path = `/${fullMethod("point", "AddPoints")}`;
    const anonymous = rawClient(`127.0.0.1:${mesh.endpoints.point.grpcPort}`);
    const member = rawClient(`127.0.0.1:${mesh.endpoints.point.grpcPort}`, mesh.token);
    const points = async () => ok(await grpcurlCaller(tools, mesh.endpoints).call("point", "GetUserPoints", { user_id: REF.users.hannah })).points;
    try {
      const refused = await rawUnary(anonymous, path, request);
      assert.deepEqual(refused.ok ? "OK" : [refused.code, refused.details.find((d) => d.type === "google.rpc.ErrorInfo")?.reason], [
        Code.UNAUTHENTICATED,
        "TOKEN_MISSING",
      ]);
      assert.equal(await points(), "13");
      const added = await rawUnary(member, path, request);
      assert.ok(added.ok, JSON.stringify(added));
      assert.equal(await points(), "15");
    } finally {
      anonymous.close();
      member.close();
    }
  });

  test("reads, health and reflection need no token", async () => {
    const anonymous = grpcurlCaller(tools, mesh.endpoints);
    assert.equal(ok(await anonymous.call("user", "GetUserStatistics", {})).totalSize, REF.userCount);
    assert.equal(ok(await anonymous.call("department", "GetDepartmentReport", { id: REF.departments.itSupport })).headcount, REF.itSupport.headcount);
    const list = await run(tools.grpcurl, ["-plaintext", `127.0.0.1:${mesh.endpoints.beer.grpcPort}`, "list"]);
    assert.equal(list.code, 0, describeRun(list));
    assert.ok(list.stdout.split("\n").includes(CONTRACT.beer.typeName));
    const probe = await run(tools.healthProbe, ["-addr", `127.0.0.1:${mesh.endpoints.beer.grpcPort}`]);
    assert.equal(probe.code, 0, describeRun(probe));
  });

  test("the development token start.ts prints writes (grpcurl -H authorization, as the README shows)", async () => {
    assert.ok(mesh.printedToken, "start.ts printed export TOKEN=...");
    const c = grpcurlCaller(tools, mesh.endpoints, mesh.printedToken);
    const added = ok(await c.call("beer", "AddBeer", { name: `Printed Token ${tag}`, style: "Pilsner" })).beer;
    assert.equal(added.name, `Printed Token ${tag}`);
    ok(await c.call("beer", "RemoveBeer", { id: added.id }));
    const claims = JSON.parse(Buffer.from(mesh.printedToken.split(".")[1]!, "base64url").toString("utf8"));
    assert.deepEqual(claims.scope.split(" ").sort(), ["mesh:read", "mesh:write"]);
    const hours = (claims.exp - claims.iat) / 3600;
    assert.equal(hours, 12, "valid 12 hours");
  });
}
