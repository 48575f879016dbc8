// TLS and mTLS on real servers on loopback, with certificates made by openssl
// for each run: who may connect, HTTP/1.1 on the TLS port, certificate reload,
// and outbound channels (calls and the health watch) over mTLS.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { copyFileSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import * as tls from "node:tls";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { PointService } from "../../gen/mesh/point/v1/point_pb.js";
import { createTestPki, type KeyPair, type TestPki } from "../testing/certificates.js";
import { captureLogger, silentLogger, testConfig } from "../testing/harness.js";
import { ConfigError } from "./config.js";
import { ServingStatus } from "./health.js";
import type { Logger } from "./logger.js";
import { createServer, type Server } from "./server.js";
import { loadConfig, readServiceConfig } from "./service-config.js";
import type { ClientTlsConfig, ServerTlsConfig } from "./tls-config.js";
import { createUpstream } from "./upstream.js";

/** Calls the stand-in point service has answered: a refused connection must not add to it. */
let served = 0;
const points = {
  getUserPoints: (req: { userId: string }) => {
    served++;
    return { userId: req.userId, points: 7n };
  },
};

let pki: TestPki;
let ca: KeyPair;
let otherCa: KeyPair;
let serverPair: KeyPair;
let clientPair: KeyPair;
let strangerClient: KeyPair;

before(() => {
  pki = createTestPki();
  ca = pki.createCa("mesh-ca");
  otherCa = pki.createCa("other-ca");
  serverPair = pki.issue(ca, "server", { usage: "server", altNames: ["DNS:localhost", "IP:127.0.0.1", "DNS:point.mesh.test"] });
  clientPair = pki.issue(ca, "client", { usage: "client" });
  strangerClient = pki.issue(otherCa, "stranger", { usage: "client" });
});
after(() => pki.remove());

const serverTls = (overrides: Partial<ServerTlsConfig> = {}): ServerTlsConfig => ({
  certFile: serverPair.certFile,
  keyFile: serverPair.keyFile,
  clientCaFile: undefined,
  reloadIntervalMs: 100,
  ...overrides,
});

interface TlsServer {
  readonly port: number;
  /** The cleartext HTTP/1.1 port, if one was opened (asked for: 0, a free port). */
  readonly httpPort: number | undefined;
  readonly server: Server;
  stop(): Promise<void>;
}

/** A point service stand-in serving TLS, asked for a cleartext HTTP/1.1 port too. */
async function pointOverTls(serverConfig: ServerTlsConfig, logger: Logger = silentLogger()): Promise<TlsServer> {
  const config = testConfig("point");
  const server = createServer({ config: { ...config.server, httpPort: 0, shutdownGraceMs: 500, tls: serverConfig }, logger });
  server.register(PointService, points);
  const { port, httpPort } = await server.listen();
  server.health.setAll(ServingStatus.SERVING);
  return { port, httpPort, server, stop: () => server.stop() };
}

const read = (path: string) => readFile(path);

async function grpcOverTls(port: number, options: { ca?: KeyPair; client?: KeyPair; servername?: string } = {}): Promise<Transport> {
  return createGrpcTransport({
    baseUrl: `https://127.0.0.1:${port}`,
    nodeOptions: {
      ...(options.ca === undefined ? {} : { ca: await read(options.ca.certFile) }),
      ...(options.client === undefined ? {} : { cert: await read(options.client.certFile), key: await read(options.client.keyFile) }),
      ...(options.servername === undefined ? {} : { servername: options.servername }),
    },
  });
}

/** The TLS error codes of a failed call made by connect-node's own client (it reports them as INTERNAL). */
async function tlsFailure(call: Promise<unknown>): Promise<string[]> {
  try {
    await call;
  } catch (err) {
    const codes = errorCodes(err);
    // A refused client certificate can surface as the connection closing (CANCELED) before the alert is read.
    assert.ok([Code.Internal, Code.Canceled].includes(ConnectError.from(err).code), `code ${ConnectError.from(err).code} ${codes.join()}`);
    return codes;
  }
  assert.fail("the call succeeded");
}

/** The code of a failed call; fails the test when the call succeeds. */
async function codeOf(call: Promise<unknown>): Promise<Code> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err).code;
  }
  assert.fail("the call succeeded");
}

/** The Node error codes along an error's cause chain. */
function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  for (let e = err; e !== undefined && e !== null && codes.length < 10; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
  }
  return codes;
}

/** The serial number of the certificate a new TLS connection is served. */
function servedSerial(port: number, caFile: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, ca: caFile, servername: "localhost", ALPNProtocols: ["h2"] }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.destroy();
      resolve(serial);
    });
    socket.once("error", reject);
  });
}

describe("configuration", () => {
  test("TLS_* and UPSTREAM_TLS_* are read; incomplete pairs name their variables", () => {
    const config = loadConfig(
      { TLS_CERT_FILE: "/c.pem", TLS_KEY_FILE: "/k.pem", TLS_CLIENT_CA_FILE: "/ca.pem", UPSTREAM_TLS_CA_FILE: "/ca.pem" },
      (r) => readServiceConfig("user", r),
    );
    assert.deepEqual(config.server.tls, { certFile: "/c.pem", keyFile: "/k.pem", clientCaFile: "/ca.pem", reloadIntervalMs: 10_000 });
    assert.deepEqual(config.upstreamTls, { caFile: "/ca.pem", certFile: undefined, keyFile: undefined, serverName: undefined, reloadIntervalMs: 10_000 });
    const none = loadConfig({}, (r) => readServiceConfig("user", r));
    assert.deepEqual([none.server.tls, none.upstreamTls], [undefined, undefined]);
    assert.equal(loadConfig({ UPSTREAM_TLS: "true" }, (r) => readServiceConfig("user", r)).upstreamTls?.caFile, undefined, "system CAs");
    const variables = (env: Record<string, string>) => {
      try {
        loadConfig(env, (r) => readServiceConfig("user", r));
        return [];
      } catch (err) {
        assert.ok(err instanceof ConfigError);
        return [...err.variables].sort();
      }
    };
    assert.deepEqual(variables({ TLS_CERT_FILE: "/c.pem" }), ["TLS_KEY_FILE"]);
    assert.deepEqual(variables({ TLS_CLIENT_CA_FILE: "/ca.pem" }), ["TLS_CLIENT_CA_FILE"]);
    assert.deepEqual(variables({ UPSTREAM_TLS_CERT_FILE: "/c.pem" }), ["UPSTREAM_TLS_KEY_FILE"]);
    assert.deepEqual(variables({ UPSTREAM_TLS: "false", UPSTREAM_TLS_CA_FILE: "/ca.pem" }), ["UPSTREAM_TLS"]);
  });

  test("a server whose key does not match its certificate does not start", async () => {
    const wrongKey = pki.issue(ca, "unrelated", { usage: "server" });
    await assert.rejects(pointOverTls(serverTls({ keyFile: wrongKey.keyFile })), /key values mismatch|KEY_VALUES_MISMATCH/i);
  });
});

describe("a TLS server", () => {
  let server: TlsServer;
  before(async () => {
    server = await pointOverTls(serverTls());
  });
  after(() => server.stop());

  test("a client trusting the CA calls it over gRPC; HTTP/1.1 is served on the same port, and no cleartext port is open", async () => {
    const client = createClient(PointService, await grpcOverTls(server.port, { ca }));
    assert.equal((await client.getUserPoints({ userId: "u1" })).points, 7n);
    const http1 = createConnectTransport({ baseUrl: `https://127.0.0.1:${server.port}`, httpVersion: "1.1", nodeOptions: { ca: await read(ca.certFile) } });
    assert.equal((await createClient(PointService, http1).getUserPoints({ userId: "u2" })).points, 7n);
    const health = createClient(Health, await grpcOverTls(server.port, { ca }));
    assert.equal((await health.check({ service: "" })).status, Status.SERVING);
    assert.equal(server.httpPort, undefined, "the cleartext HTTP/1.1 port stays closed under TLS");
  });

  test("a client that does not trust the CA fails its certificate check; one that speaks cleartext fails too", async () => {
    const before = served;
    const untrusting = createClient(PointService, await grpcOverTls(server.port, { ca: otherCa }));
    assert.deepEqual(await tlsFailure(untrusting.getUserPoints({ userId: "u1" }, { timeoutMs: 2_000 })), ["UNABLE_TO_VERIFY_LEAF_SIGNATURE"]);
    const systemCas = createClient(PointService, await grpcOverTls(server.port));
    assert.deepEqual(await tlsFailure(systemCas.getUserPoints({ userId: "u1" }, { timeoutMs: 2_000 })), ["UNABLE_TO_VERIFY_LEAF_SIGNATURE"]);
    const cleartext = createClient(PointService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.port}` }));
    const code = await codeOf(cleartext.getUserPoints({ userId: "u1" }, { timeoutMs: 2_000 }));
    assert.ok([Code.Unavailable, Code.Internal, Code.Canceled].includes(code), `cleartext: ${Code[code]}`);
    assert.equal(served, before, "no call reached the handler");
  });
});

describe("an mTLS server (TLS_CLIENT_CA_FILE)", () => {
  let server: TlsServer;
  before(async () => {
    server = await pointOverTls(serverTls({ clientCaFile: ca.certFile }));
  });
  after(() => server.stop());

  test("refuses a client without a certificate or with one from another CA; accepts one from the client CA", async () => {
    const before = served;
    const anonymous = createClient(PointService, await grpcOverTls(server.port, { ca }));
    assert.deepEqual(await tlsFailure(anonymous.getUserPoints({ userId: "u1" }, { timeoutMs: 2_000 })), ["ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED"]);
    const stranger = createClient(PointService, await grpcOverTls(server.port, { ca, client: strangerClient }));
    // The server's alert may or may not be read before the connection closes: the call fails either way.
    await tlsFailure(stranger.getUserPoints({ userId: "u1" }, { timeoutMs: 2_000 }));
    assert.equal(served, before, "no call reached the handler");
    const member = createClient(PointService, await grpcOverTls(server.port, { ca, client: clientPair }));
    assert.equal((await member.getUserPoints({ userId: "u1" })).points, 7n);
  });
});

describe("certificate reload", () => {
  test("a swapped certificate is served to new connections; a half-written pair keeps the old one until the key follows", async () => {
    const { logger, lines } = captureLogger("tls");
    const live = { certFile: `${pki.dir}/live.crt`, keyFile: `${pki.dir}/live.key` };
    copyFileSync(serverPair.certFile, live.certFile);
    copyFileSync(serverPair.keyFile, live.keyFile);
    const server = await pointOverTls(serverTls({ ...live, reloadIntervalMs: 100 }), logger);
    const { port } = server;
    try {
      const caPem = await read(ca.certFile);
      const first = await servedSerial(port, caPem);
      const renewed = pki.issue(ca, "server-renewed", { usage: "server", altNames: ["DNS:localhost", "IP:127.0.0.1"] });
      // The certificate first, the key a moment later (as a careless copy would).
      copyFileSync(renewed.certFile, live.certFile);
      await sleep(400);
      assert.equal(await servedSerial(port, caPem), first, "the old pair while the key does not match");
      assert.ok(lines.some((l) => l.msg === "TLS files changed but are not usable yet; keeping the previous ones"));
      copyFileSync(renewed.keyFile, live.keyFile);
      let served = first;
      for (let i = 0; i < 30 && served === first; i++) {
        await sleep(100);
        served = await servedSerial(port, caPem);
      }
      assert.notEqual(served, first, "the renewed certificate is served");
      const expected = new X509Certificate(await read(renewed.certFile)).serialNumber;
      assert.equal(served.toUpperCase(), expected.toUpperCase());
      assert.ok(lines.some((l) => l.msg === "TLS files reloaded"));
      // Calls keep working on the new certificate.
      const client = createClient(PointService, await grpcOverTls(port, { ca }));
      assert.equal((await client.getUserPoints({ userId: "u" })).points, 7n);
      writeFileSync(live.keyFile, "not a key");
      await sleep(300);
      assert.equal(await servedSerial(port, caPem), served, "a broken file is ignored");
    } finally {
      await server.stop();
    }
  });
});

describe("outbound channels over mTLS (UPSTREAM_TLS_*)", () => {
  let server: TlsServer;
  before(async () => {
    server = await pointOverTls(serverTls({ clientCaFile: ca.certFile }));
  });
  after(() => server.stop());

  const upstreamTls = (overrides: Partial<ClientTlsConfig> = {}): ClientTlsConfig => ({
    caFile: ca.certFile,
    certFile: clientPair.certFile,
    keyFile: clientPair.keyFile,
    serverName: undefined,
    reloadIntervalMs: 1_000,
    ...overrides,
  });
  const upstream = (target: string, tlsConfig: ClientTlsConfig) =>
    createUpstream(target, {
      service: PointService,
      channel: testConfig("user").channel,
      readMaxBytes: 1 << 20,
      tls: tlsConfig,
      logger: silentLogger(),
    });

  test("calls succeed with the client certificate, and the health watch follows NOT_SERVING and SERVING", async () => {
    const up = upstream(`localhost:${server.port}`, upstreamTls());
    try {
      const client = createClient(PointService, up.transport);
      assert.equal((await client.getUserPoints({ userId: "u1" })).points, 7n);
      const serving = async (want: boolean) => {
        for (let i = 0; i < 50; i++) {
          if (up.stats().endpoints[0]?.serving === want) return;
          await sleep(100);
        }
        assert.fail(`the health watch never saw serving=${want}: ${JSON.stringify(up.stats().endpoints)}`);
      };
      server.server.health.set(PointService.typeName, ServingStatus.NOT_SERVING);
      await serving(false);
      server.server.health.set(PointService.typeName, ServingStatus.SERVING);
      await serving(true);
    } finally {
      up.close();
    }
  });

  test("without a client certificate, or trusting another CA, calls fail UNAVAILABLE", async () => {
    for (const [name, config] of [
      ["no client certificate", upstreamTls({ certFile: undefined, keyFile: undefined })],
      ["another CA", upstreamTls({ caFile: otherCa.certFile })],
    ] as const) {
      const up = upstream(`localhost:${server.port}`, config);
      try {
        const client = createClient(PointService, up.transport);
        assert.equal(await codeOf(client.getUserPoints({ userId: "u1" }, { timeoutMs: 2_000 })), Code.Unavailable, name);
      } finally {
        up.close();
      }
    }
  });

  test("an IP target is checked against UPSTREAM_TLS_SERVER_NAME when set, against the IP otherwise", async () => {
    const named = pki.issue(ca, "point-named", { usage: "server", altNames: ["DNS:point.mesh.test"] });
    const namedServer = await pointOverTls(serverTls({ ...named, clientCaFile: ca.certFile }));
    try {
      const byName = upstream(`127.0.0.1:${namedServer.port}`, upstreamTls({ serverName: "point.mesh.test" }));
      const byIp = upstream(`127.0.0.1:${namedServer.port}`, upstreamTls());
      try {
        assert.equal((await createClient(PointService, byName.transport).getUserPoints({ userId: "u" })).points, 7n);
        assert.equal(await codeOf(createClient(PointService, byIp.transport).getUserPoints({ userId: "u" }, { timeoutMs: 2_000 })), Code.Unavailable);
      } finally {
        byName.close();
        byIp.close();
      }
    } finally {
      await namedServer.stop();
    }
  });
});
