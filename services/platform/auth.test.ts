// The auth interceptor: which calls need a token, which scope, and the codes
// and reasons of every kind of bad token; HS256 secrets and a JWKS served
// over HTTP; health and reflection open on a real server.
import assert from "node:assert/strict";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError, createClient, createRouterTransport, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey } from "jose";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { UserService } from "../../gen/mesh/user/v1/user_pb.js";
import { captureLogger, testConfig } from "../testing/harness.js";
import { listServices } from "../testing/reflection-client.js";
import { readAuthConfig, type AuthConfig } from "./auth-config.js";
import { signToken } from "./auth-token.js";
import { createAuthInterceptor, principalKey, requiredScope } from "./auth.js";
import { ConfigError } from "./config.js";
import { ServingStatus } from "./health.js";
import { createServer } from "./server.js";
import { loadConfig } from "./service-config.js";

const SECRET = "0123456789abcdef0123456789abcdef-test-secret";
const OTHER_SECRET = "fedcba9876543210fedcba9876543210-other-secret";

const authConfig = (env: Record<string, string>): AuthConfig => loadConfig(env, readAuthConfig);

/** Handlers that record what they ran for, and see the verified caller. */
function userService(ran: string[]) {
  return {
    getUser(req: { id: string }, ctx: HandlerContext) {
      ran.push(`get ${req.id}`);
      return { user: { id: req.id, name: ctx.values.get(principalKey)?.subject ?? "anonymous" } };
    },
    createUser(req: { name: string }, ctx: HandlerContext) {
      ran.push(`create ${req.name}`);
      return { user: { id: ctx.values.get(principalKey)?.subject ?? "", name: req.name } };
    },
  };
}

function clientWith(interceptor: Interceptor, ran: string[]) {
  const transport = createRouterTransport(({ service }) => service(UserService, userService(ran)), { router: { interceptors: [interceptor] } });
  return createClient(UserService, transport);
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

/** The code and ErrorInfo of a failed call. */
async function failure(call: Promise<unknown>): Promise<{ code: Code; reason: string | undefined; metadata: Record<string, string>; message: string }> {
  try {
    await call;
  } catch (err) {
    const e = ConnectError.from(err);
    const [info] = e.findDetails(ErrorInfoSchema);
    return { code: e.code, reason: info?.reason, metadata: { ...info?.metadata }, message: e.rawMessage };
  }
  assert.fail("the call succeeded");
}

describe("configuration", () => {
  test("off without a secret or JWKS URL; a secret gives the mesh's own issuer and audience", () => {
    assert.equal(authConfig({}).keys, undefined);
    assert.equal(createAuthInterceptor({ config: authConfig({}), logger: captureLogger("t").logger }), undefined);
    const config = authConfig({ AUTH_JWT_SECRET: SECRET });
    assert.deepEqual(
      [config.keys?.kind, config.issuer, config.audience, config.requireReads, config.clockToleranceSeconds],
      ["secret", "grpc-mesh", "grpc-mesh", false, 30],
    );
  });

  test("bad combinations name their variables, and a short secret is refused without being echoed", () => {
    const variables = (env: Record<string, string>) => {
      try {
        authConfig(env);
      } catch (err) {
        assert.ok(err instanceof ConfigError);
        assert.ok(!err.message.includes("short-secret"), "the secret is echoed");
        return [...err.variables].sort();
      }
      return [];
    };
    assert.deepEqual(variables({ AUTH_JWT_SECRET: "short-secret" }), ["AUTH_JWT_SECRET"]);
    assert.deepEqual(variables({ AUTH_JWT_SECRET: SECRET, AUTH_JWKS_URL: "https://idp.example/jwks" }), ["AUTH_JWKS_URL"]);
    assert.deepEqual(variables({ AUTH_JWKS_URL: "https://idp.example/jwks" }), ["AUTH_AUDIENCE", "AUTH_ISSUER"]);
    assert.deepEqual(variables({ AUTH_JWKS_URL: "http://idp.example/jwks", AUTH_ISSUER: "i", AUTH_AUDIENCE: "a" }), ["AUTH_JWKS_URL"]);
    assert.deepEqual(variables({ AUTH_JWKS_URL: "http://127.0.0.1:9/jwks", AUTH_ISSUER: "i", AUTH_AUDIENCE: "a" }), []);
    assert.deepEqual(variables({ AUTH_REQUIRE_READS: "true" }), ["AUTH_REQUIRE_READS"]);
  });

  test("writes need mesh:write, reads nothing unless required, health and reflection never", () => {
    const write = UserService.method.createUser.idempotency;
    const read = UserService.method.getUser.idempotency;
    assert.equal(requiredScope(UserService.typeName, write, false), "mesh:write");
    assert.equal(requiredScope(UserService.typeName, read, false), undefined);
    assert.equal(requiredScope(UserService.typeName, read, true), "mesh:read");
    for (const open of ["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]) {
      assert.equal(requiredScope(open, write, true), undefined, open);
    }
  });
});

describe("HS256 tokens", () => {
  const { logger, lines } = captureLogger("auth");
  const interceptor = createAuthInterceptor({ config: authConfig({ AUTH_JWT_SECRET: SECRET }), logger })!;

  test("a write with a token carrying mesh:write runs, and the handler sees the subject", async () => {
    const ran: string[] = [];
    const client = clientWith(interceptor, ran);
    const token = await signToken({ secret: SECRET, scopes: ["mesh:write"], subject: "alice" });
    const created = await client.createUser({ name: "A" }, bearer(token));
    assert.deepEqual([created.user?.id, created.user?.name], ["alice", "A"]);
    // Reads are open, so their tokens are not even verified: no principal.
    assert.equal((await client.getUser({ id: "x" }, bearer(token))).user?.name, "anonymous");
    assert.deepEqual(ran, ["create A", "get x"]);
  });

  test("reads are open: no token, or even a bad one, is not looked at", async () => {
    const ran: string[] = [];
    const client = clientWith(interceptor, ran);
    assert.equal((await client.getUser({ id: "r" })).user?.name, "anonymous");
    assert.equal((await client.getUser({ id: "r" }, bearer("not-a-jwt"))).user?.name, "anonymous");
    assert.deepEqual(ran, ["get r", "get r"]);
  });

  test("missing, malformed, expired, forged, tampered and mis-addressed tokens are UNAUTHENTICATED; the handler never runs", async () => {
    const ran: string[] = [];
    const client = clientWith(interceptor, ran);
    const good = await signToken({ secret: SECRET });
    const [header, payload, signature] = good.split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: "root" })).toString("base64url")}.${signature}`;
    const noExpiry = await new SignJWT({ scope: "mesh:write" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer("grpc-mesh")
      .setAudience("grpc-mesh")
      .sign(new TextEncoder().encode(SECRET));
    const unsecured = new UnsecuredJWT({ scope: "mesh:write" }).setIssuer("grpc-mesh").setAudience("grpc-mesh").setExpirationTime("1h").encode();
    const cases: Array<[string, Record<string, string>, string]> = [
      ["no header", {}, "TOKEN_MISSING"],
      ["empty header", { authorization: "" }, "TOKEN_MISSING"],
      ["Basic scheme", { authorization: "Basic dXNlcjpwYXNz" }, "TOKEN_MALFORMED"],
      ["Bearer without a token", { authorization: "Bearer" }, "TOKEN_MALFORMED"],
      ["two tokens", { authorization: `Bearer ${good} ${good}` }, "TOKEN_MALFORMED"],
      ["a huge token", { authorization: `Bearer ${"a".repeat(9000)}` }, "TOKEN_MALFORMED"],
      ["not a JWT", bearer("not-a-jwt").headers, "TOKEN_INVALID"],
      ["expired 5 minutes ago", bearer(await signToken({ secret: SECRET, expiresInSeconds: -300 })).headers, "TOKEN_EXPIRED"],
      ["signed with another secret", bearer(await signToken({ secret: OTHER_SECRET })).headers, "TOKEN_INVALID"],
      ["payload changed after signing", bearer(tampered).headers, "TOKEN_INVALID"],
      ["another issuer", bearer(await signToken({ secret: SECRET, issuer: "someone-else" })).headers, "TOKEN_INVALID"],
      ["another audience", bearer(await signToken({ secret: SECRET, audience: "another-api" })).headers, "TOKEN_INVALID"],
      ["no expiry", bearer(noExpiry).headers, "TOKEN_INVALID"],
      ['alg "none"', bearer(unsecured).headers, "TOKEN_INVALID"],
    ];
    for (const [name, headers, reason] of cases) {
      const f = await failure(client.createUser({ name: "nope" }, { headers }));
      assert.deepEqual([f.code, f.reason], [Code.Unauthenticated, reason], name);
      // Nothing of the token comes back.
      const token = headers.authorization?.replace(/^\S+\s*/, "") ?? "";
      if (token.length > 10) assert.ok(!f.message.includes(token.slice(0, 20)), `${name}: token in the message`);
    }
    assert.deepEqual(ran, [], "no handler ran");
    assert.ok(!JSON.stringify(lines).includes(signature), "no token in any log line");
  });

  test("a token expired within the clock tolerance (30 s) still passes", async () => {
    const ran: string[] = [];
    const client = clientWith(interceptor, ran);
    await client.createUser({ name: "late" }, bearer(await signToken({ secret: SECRET, expiresInSeconds: -10 })));
    assert.deepEqual(ran, ["create late"]);
  });

  test("a valid token without mesh:write is PERMISSION_DENIED with MISSING_SCOPE naming the scope", async () => {
    const ran: string[] = [];
    const client = clientWith(interceptor, ran);
    for (const scopes of [["mesh:read"], [], ["mesh:writer", "mesh"]]) {
      const f = await failure(client.createUser({ name: "nope" }, bearer(await signToken({ secret: SECRET, scopes }))));
      assert.deepEqual([f.code, f.reason, f.metadata], [Code.PermissionDenied, "MISSING_SCOPE", { scope: "mesh:write" }], scopes.join(" "));
    }
    assert.deepEqual(ran, []);
  });

  test('scopes come from "scope" (space-separated) or "scp" (an array)', async () => {
    const ran: string[] = [];
    const client = clientWith(interceptor, ran);
    const scp = await new SignJWT({ scp: ["mesh:read", "mesh:write"] })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer("grpc-mesh")
      .setAudience("grpc-mesh")
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode(SECRET));
    await client.createUser({ name: "scp" }, bearer(scp));
    await client.createUser({ name: "scope" }, bearer(await signToken({ secret: SECRET, scopes: ["mesh:read", "mesh:write", "other"] })));
    assert.deepEqual(ran, ["create scp", "create scope"]);
  });

  test("with AUTH_REQUIRE_READS reads need mesh:read: none is UNAUTHENTICATED, mesh:write alone PERMISSION_DENIED", async () => {
    const ran: string[] = [];
    const strict = createAuthInterceptor({ config: authConfig({ AUTH_JWT_SECRET: SECRET, AUTH_REQUIRE_READS: "true" }), logger })!;
    const client = clientWith(strict, ran);
    assert.equal((await failure(client.getUser({ id: "r" }))).code, Code.Unauthenticated);
    const writeOnly = await failure(client.getUser({ id: "r" }, bearer(await signToken({ secret: SECRET, scopes: ["mesh:write"] }))));
    assert.deepEqual([writeOnly.code, writeOnly.metadata], [Code.PermissionDenied, { scope: "mesh:read" }]);
    const res = await client.getUser({ id: "r" }, bearer(await signToken({ secret: SECRET, scopes: ["mesh:read"], subject: "reader" })));
    assert.equal(res.user?.name, "reader");
    assert.deepEqual(ran, ["get r"]);
  });
});

describe("a JWKS served over HTTP (ES256 keys of an identity provider)", () => {
  let jwksServer: HttpServer;
  let jwksUrl: string;
  let serving = true;
  let privateKey: CryptoKey;
  let strangerKey: CryptoKey;
  const issuer = "https://idp.test";
  const audience = "mesh-api";

  before(async () => {
    const pair = await generateKeyPair("ES256");
    privateKey = pair.privateKey;
    strangerKey = (await generateKeyPair("ES256")).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "key-1", alg: "ES256", use: "sig" };
    jwksServer = createHttpServer((_req, res) => {
      if (!serving) {
        res.writeHead(503).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
    jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;
  });
  after(() => new Promise<void>((resolve) => jwksServer.close(() => resolve())));

  const sign = (key: CryptoKey, kid: string, claims: { iss?: string; aud?: string } = {}) =>
    new SignJWT({ scope: "mesh:write" })
      .setProtectedHeader({ alg: "ES256", kid })
      .setIssuer(claims.iss ?? issuer)
      .setAudience(claims.aud ?? audience)
      .setExpirationTime("10m")
      .sign(key);

  test("a token signed by the provider's key passes; another key, issuer, or an HS256 token does not", async () => {
    const { logger } = captureLogger("auth");
    const interceptor = createAuthInterceptor({
      config: authConfig({ AUTH_JWKS_URL: jwksUrl, AUTH_ISSUER: issuer, AUTH_AUDIENCE: audience }),
      logger,
    })!;
    const ran: string[] = [];
    const client = clientWith(interceptor, ran);
    await client.createUser({ name: "idp" }, bearer(await sign(privateKey, "key-1")));
    assert.deepEqual(ran, ["create idp"]);
    for (const [name, token] of [
      ["a stranger's key under the provider's kid", await sign(strangerKey, "key-1")],
      ["an unknown kid", await sign(strangerKey, "key-2")],
      ["another issuer", await sign(privateKey, "key-1", { iss: "https://evil.test" })],
      // An HMAC token "signed" with public key material must never pass (algorithm confusion).
      ["HS256", await signToken({ secret: SECRET, issuer, audience })],
    ] as const) {
      const f = await failure(client.createUser({ name: "nope" }, bearer(token)));
      assert.deepEqual([f.code, f.reason], [Code.Unauthenticated, "TOKEN_INVALID"], name);
    }
    assert.deepEqual(ran, ["create idp"]);
  });

  test("when the key set cannot be fetched, calls fail UNAVAILABLE (KEYS_UNAVAILABLE), not UNAUTHENTICATED", async () => {
    const { logger, lines } = captureLogger("auth");
    // A fresh interceptor: its key set has never been fetched.
    const interceptor = createAuthInterceptor({
      config: authConfig({ AUTH_JWKS_URL: jwksUrl, AUTH_ISSUER: issuer, AUTH_AUDIENCE: audience }),
      logger,
    })!;
    const ran: string[] = [];
    const client = clientWith(interceptor, ran);
    serving = false;
    try {
      const token = await sign(privateKey, "key-1");
      const f = await failure(client.createUser({ name: "nope" }, bearer(token)));
      assert.deepEqual([f.code, f.reason], [Code.Unavailable, "KEYS_UNAVAILABLE"]);
      assert.ok(lines.some((l) => l.msg === "cannot fetch the JSON Web Key Set: token not verified"));
      assert.ok(!JSON.stringify(lines).includes(token.split(".")[2]!), "no token in the log");
    } finally {
      serving = true;
    }
    assert.deepEqual(ran, []);
  });
});

describe("on a real server", () => {
  test("health and reflection answer without a token even when reads require one; the refused call is logged without the token", async () => {
    const { logger, lines } = captureLogger("auth");
    const auth = createAuthInterceptor({ config: authConfig({ AUTH_JWT_SECRET: SECRET, AUTH_REQUIRE_READS: "true" }), logger })!;
    const config = testConfig("user");
    const server = createServer({ config: { ...config.server, httpPort: -1, shutdownGraceMs: 500 }, logger, interceptors: [auth] });
    const ran: string[] = [];
    server.register(UserService, userService(ran));
    const { port } = await server.listen();
    server.health.setAll(ServingStatus.SERVING);
    try {
      const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` });
      assert.equal((await createClient(Health, transport).check({ service: "" })).status, Status.SERVING);
      assert.ok((await listServices(transport, "v1")).includes(UserService.typeName));
      assert.ok((await listServices(transport, "v1alpha")).includes(UserService.typeName));
      const users = createClient(UserService, transport);
      const expired = await signToken({ secret: SECRET, expiresInSeconds: -600 });
      const f = await failure(users.getUser({ id: "x" }, bearer(expired)));
      assert.deepEqual([f.code, f.reason], [Code.Unauthenticated, "TOKEN_EXPIRED"]);
      const ok = await users.getUser({ id: "x" }, bearer(await signToken({ secret: SECRET, subject: "s1" })));
      assert.equal(ok.user?.name, "s1");
      assert.deepEqual(ran, ["get x"]);
      const refused = lines.find((l) => l.msg === "rpc" && l.code === "Unauthenticated");
      assert.ok(refused, `a log line for the refused call: ${JSON.stringify(lines)}`);
      assert.ok(!JSON.stringify(lines).includes(expired.split(".")[2]!), "no token in the log");
    } finally {
      await server.stop();
    }
  });
});
