// The real user, point and department services on loopback with mTLS on every
// port and tokens required for reads too (AUTH_REQUIRE_READS), configured
// through their environment variables: statistics and the report fan out over
// mTLS with the caller's token forwarded; without a client certificate the
// point branch is refused and the answer degrades.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import * as net from "node:net";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { DepartmentService } from "../../gen/mesh/department/v1/department_pb.js";
import { UserService } from "../../gen/mesh/user/v1/user_pb.js";
import type { DepartmentDatabase } from "../department/schema.js";
import { startDepartmentService } from "../department/server.js";
import { signToken } from "../platform/auth-token.js";
import { REFERENCE_DEPARTMENTS } from "../platform/reference-data.js";
import type { ServiceHost } from "../platform/service-host.js";
import type { PointDatabase } from "../point/schema.js";
import { startPointService } from "../point/server.js";
import { createTestPki, type KeyPair, type TestPki } from "../testing/certificates.js";
import { silentLogger, stopAndDrop, testConfig } from "../testing/harness.js";
import type { UserDatabase } from "./schema.js";
import { startUserService } from "./server.js";

const SECRET = "security-test-secret-0123456789abcdef";
const IT = REFERENCE_DEPARTMENTS[2]!;

let pki: TestPki;
let ca: KeyPair;
let point: ServiceHost<PointDatabase>;
let department: ServiceHost<DepartmentDatabase>;
let user: ServiceHost<UserDatabase>;
let userWithoutClientCert: ServiceHost<UserDatabase>;
let tlsEnv: Record<string, string>;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

before(async () => {
  pki = createTestPki();
  ca = pki.createCa("mesh-ca");
  const serverPair = pki.issue(ca, "mesh-server", { usage: "server", altNames: ["DNS:localhost", "IP:127.0.0.1"] });
  const clientPair = pki.issue(ca, "mesh-client", { usage: "client" });
  tlsEnv = {
    SEED: "true",
    AUTH_JWT_SECRET: SECRET,
    AUTH_REQUIRE_READS: "true",
    TLS_CERT_FILE: serverPair.certFile,
    TLS_KEY_FILE: serverPair.keyFile,
    TLS_CLIENT_CA_FILE: ca.certFile,
    UPSTREAM_TLS_CA_FILE: ca.certFile,
    UPSTREAM_TLS_CERT_FILE: clientPair.certFile,
    UPSTREAM_TLS_KEY_FILE: clientPair.keyFile,
  };
  point = await startPointService(testConfig("point", tlsEnv), silentLogger());
  const userPort = await freePort();
  department = await startDepartmentService(
    { ...testConfig("department", tlsEnv), userServiceAddr: `127.0.0.1:${userPort}`, pointServiceAddr: `127.0.0.1:${point.port}` },
    silentLogger(),
  );
  user = await startUserService(
    {
      ...testConfig("user", { ...tlsEnv, USER_PORT: String(userPort) }),
      pointServiceAddr: `127.0.0.1:${point.port}`,
      departmentServiceAddr: `127.0.0.1:${department.port}`,
    },
    silentLogger(),
  );
  // The same user service, except that it trusts the CA but has no client certificate.
  const { UPSTREAM_TLS_CERT_FILE: _cert, UPSTREAM_TLS_KEY_FILE: _key, ...withoutClientCert } = tlsEnv;
  userWithoutClientCert = await startUserService(
    {
      ...testConfig("user", withoutClientCert),
      pointServiceAddr: `127.0.0.1:${point.port}`,
      departmentServiceAddr: `127.0.0.1:${department.port}`,
    },
    silentLogger(),
  );
});

after(async () => {
  if (userWithoutClientCert !== undefined) await stopAndDrop(userWithoutClientCert);
  if (user !== undefined) await stopAndDrop(user);
  if (department !== undefined) await stopAndDrop(department);
  if (point !== undefined) await stopAndDrop(point);
  pki?.remove();
});

/** A client of the mesh: trusts the CA, presents a client certificate (every port is mTLS). */
async function meshTransport(port: number): Promise<Transport> {
  const client = pki.issue(ca, `caller-${port}`, { usage: "client" });
  return createGrpcTransport({
    baseUrl: `https://127.0.0.1:${port}`,
    nodeOptions: { ca: await readFile(ca.certFile), cert: await readFile(client.certFile), key: await readFile(client.keyFile) },
  });
}

const withToken = async (scopes: string[]) => ({ headers: { authorization: `Bearer ${await signToken({ secret: SECRET, scopes })}` } });

describe("mTLS everywhere, tokens for reads too", () => {
  test("GetUserStatistics is complete: the user service reached point and department over mTLS with the caller's token", async () => {
    const users = createClient(UserService, await meshTransport(user.port));
    const res = await users.getUserStatistics({ pageSize: 9 }, await withToken(["mesh:read"]));
    assert.deepEqual(res.degraded, []);
    assert.equal(res.users.length, 9);
    assert.equal(res.users.find((u) => u.user?.name === "George Costanza")?.points, 93n);
    assert.equal(res.users.find((u) => u.user?.name === "George Costanza")?.departmentName, "IT Support");
  });

  test("without a token the user service refuses the read itself", async () => {
    const users = createClient(UserService, await meshTransport(user.port));
    await assert.rejects(users.getUserStatistics({}), (e: unknown) => ConnectError.from(e).code === Code.Unauthenticated);
  });

  test("GetDepartmentReport is complete: department called user (ListUsers) and point with the caller's token", async () => {
    const departments = createClient(DepartmentService, await meshTransport(department.port));
    const report = await departments.getDepartmentReport({ id: IT.id }, await withToken(["mesh:read"]));
    assert.deepEqual(report.degraded, []);
    assert.equal(report.headcount, 3);
    assert.equal(report.totalPoints, 93n + 73n + 13n);
  });

  test("a user service without a client certificate is refused by point and department: statistics degrade, users still answer", async () => {
    const users = createClient(UserService, await meshTransport(userWithoutClientCert.port));
    const res = await users.getUserStatistics({ pageSize: 9 }, await withToken(["mesh:read"]));
    assert.deepEqual([...res.degraded].sort(), ["departments", "points"]);
    assert.equal(res.totalSize, 9);
    assert.ok(res.users.every((u) => u.points === undefined && u.departmentName === undefined));
  });
});
