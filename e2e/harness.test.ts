// The harness tested: the reflection and health checks the suite runs against
// the mesh (checks.ts) pass against a correct server (the platform's own) and
// FAIL against servers whose reflection or health answers are broken on
// purpose — so a green e2e run means those answers were right.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { UserService } from "../gen/mesh/user/v1/user_pb.js";
import { startFakeServer, type FakeServer } from "../services/testing/fake-server.js";
import { parseJsonStream } from "./callers.js";
import {
  checkGrpcurlFallbackToV1alpha,
  checkHealthServing,
  checkReflectionProtocolsWithBufCurl,
  checkReflectionWithGrpcurl,
} from "./checks.js";
import { startBrokenServer, type Defect } from "./fixtures/broken-server.js";
import { freePorts } from "./harness.js";
import { suiteTools, toolTimes, type Tools } from "./tools.js";

type Check = (tools: Tools, port: number) => Promise<void>;

const CHECKS: Record<string, Check> = {
  "reflection with grpcurl (list, describe services and messages)": (tools, port) =>
    checkReflectionWithGrpcurl(tools, `127.0.0.1:${port}`, UserService),
  "reflection v1 and v1alpha with buf curl": (tools, port) => checkReflectionProtocolsWithBufCurl(tools, port, UserService),
  "grpcurl's fallback to reflection v1alpha": (tools, port) => checkGrpcurlFallbackToV1alpha(tools, port, UserService),
  "health with grpc-health-probe and grpc-js": (tools, port) => checkHealthServing(tools, `127.0.0.1:${port}`, UserService.typeName),
};

/** Which checks each defect must make fail, with a part of the assertion message that says why. */
const MUST_FAIL: Record<Defect, Array<[check: string, because: RegExp]>> = {
  "reflection-drops-a-method": [
    ["reflection with grpcurl (list, describe services and messages)", /grpcurl list mesh\.user\.v1\.UserService/],
    ["reflection v1 and v1alpha with buf curl", /methods listed over reflection grpc-v1/],
    ["grpcurl's fallback to reflection v1alpha", /grpcurl describe over v1alpha/],
  ],
  "reflection-renumbers-a-field": [["reflection with grpcurl (list, describe services and messages)", /fields of mesh\.user\.v1\.GetUserRequest/]],
  "reflection-without-v1alpha": [
    ["reflection v1 and v1alpha with buf curl", /--reflect-protocol grpc-v1alpha/],
    ["grpcurl's fallback to reflection v1alpha", /grpcurl list/],
  ],
  "health-serving-for-unknown-names": [["health with grpc-health-probe and grpc-js", /-service mesh\.nothing\.v1\.NothingService/]],
  "health-not-serving": [["health with grpc-health-probe and grpc-js", /-service "mesh\.user\.v1\.UserService"/]],
};

const tools = suiteTools();
if (tools !== undefined) {
  after(() => console.log(`tool time in harness.test.ts:\n${toolTimes()}`));

  describe("the checks pass against a correct server (the platform's createServer)", () => {
    let server: FakeServer;
    before(async () => {
      server = await startFakeServer(UserService, {});
    });
    after(() => server.stop());
    for (const [name, check] of Object.entries(CHECKS)) {
      test(name, () => check(tools, server.port));
    }
  });

  for (const [defect, failing] of Object.entries(MUST_FAIL) as Array<[Defect, Array<[string, RegExp]>]>) {
    describe(`the checks catch a server with ${defect}`, () => {
      let server: Awaited<ReturnType<typeof startBrokenServer>>;
      before(async () => {
        server = await startBrokenServer(defect);
      });
      after(() => server.stop());
      for (const [name, because] of failing) {
        test(`${name} fails`, async () => {
          await assert.rejects(CHECKS[name]!(tools, server.port), (err: unknown) => {
            assert.ok(err instanceof assert.AssertionError, `failed for another reason than a check: ${String(err)}`);
            assert.match(err.message, because);
            return true;
          });
        });
      }
      // The defect is the only thing wrong: the checks it should not affect still pass.
      const unaffected = Object.keys(CHECKS).filter((name) => !failing.some(([f]) => f === name));
      for (const name of unaffected) {
        test(`${name} still passes`, () => CHECKS[name]!(tools, server.port));
      }
    });
  }
}

describe("harness helpers", () => {
  test("parseJsonStream splits concatenated values and drops a partial last one", () => {
    assert.deepEqual(parseJsonStream('{"a": "}{"}\n{"b": [1, {"c": "\\""}]}\n{"partial": '), [{ a: "}{" }, { b: [1, { c: '"' }] }]);
  });

  test("freePorts gives distinct ports", async () => {
    const ports = await freePorts(12);
    assert.equal(new Set(ports).size, 12);
  });
});
