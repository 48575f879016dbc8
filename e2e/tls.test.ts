// The four services as processes with mTLS on every gRPC port and between
// them (TLS_*, UPSTREAM_TLS_*), certificates made by openssl for the run, and
// tokens required for writes: driven with the TLS flags the README documents
// for grpc-health-probe, grpcurl and curl.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { createTestPki, type KeyPair, type TestPki } from "../services/testing/certificates.js";
import { Code, type Json } from "./callers.js";
import { PROBE_EXIT } from "./checks.js";
import { startServices, type ServiceSet } from "./harness.js";
import { fullMethod, REF, SERVICE_NAMES, type ServiceName } from "./mesh-facts.js";
import { describeRun, run, suiteTools, toolTimes } from "./tools.js";

const READY_MS = 180_000;

const tools = suiteTools();
if (tools !== undefined) {
  let pki: TestPki;
  let ca: KeyPair;
  let client: KeyPair;
  let mesh: ServiceSet;
  let anyFailed = false;
  const address = (service: ServiceName) => `localhost:${mesh.endpoints[service].grpcPort}`;

  // A refused handshake makes grpc-health-probe wait out its connect timeout: keep it short.
  const probe = (service: ServiceName, flags: readonly string[]) =>
    run(tools.healthProbe, ["-addr", address(service), "-connect-timeout", "1s", "-rpc-timeout", "2s", ...flags]);
  const mtlsProbeFlags = () => ["-tls", "-tls-ca-cert", ca.certFile, "-tls-client-cert", client.certFile, "-tls-client-key", client.keyFile];
  const grpcurlFlags = () => ["-cacert", ca.certFile, "-cert", client.certFile, "-key", client.keyFile];

  /** grpcurl over mTLS, optionally with a token; the parsed answer or the code it failed with. */
  async function grpcurl(service: ServiceName, method: string, request: Json, token?: string): Promise<{ ok: true; message: Json } | { ok: false; code: number }> {
    const auth = token === undefined ? [] : ["-H", `authorization: Bearer ${token}`];
    const result = await run(tools!.grpcurl, [...grpcurlFlags(), "-format-error", ...auth, "-d", JSON.stringify(request), address(service), fullMethod(service, method)]);
    if (result.code === 0) return { ok: true, message: JSON.parse(result.stdout) };
    assert.ok(result.code !== null && result.code > 64, `grpcurl did not get an RPC status: ${describeRun(result)}`);
    return { ok: false, code: result.code - 64 };
  }

  before(
    async () => {
      pki = createTestPki();
      ca = pki.createCa("e2e-mesh-ca");
      const server = pki.issue(ca, "e2e-server", { usage: "server", altNames: ["DNS:localhost", "IP:127.0.0.1"] });
      client = pki.issue(ca, "e2e-client", { usage: "client" });
      const started = performance.now();
      mesh = await startServices({
        env: {
          TLS_CERT_FILE: server.certFile,
          TLS_KEY_FILE: server.keyFile,
          TLS_CLIENT_CA_FILE: ca.certFile,
          UPSTREAM_TLS_CA_FILE: ca.certFile,
          UPSTREAM_TLS_CERT_FILE: client.certFile,
          UPSTREAM_TLS_KEY_FILE: client.keyFile,
        },
      });
      for (const service of SERVICE_NAMES) {
        for (;;) {
          const result = await probe(service, mtlsProbeFlags());
          if (result.code === PROBE_EXIT.SERVING) break;
          if (performance.now() - started > READY_MS) throw new Error(`${service} not SERVING over mTLS: ${describeRun(result)}\n${mesh.logTail()}`);
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      console.log(`four services SERVING over mTLS in ${((performance.now() - started) / 1000).toFixed(1)} s (logs ${mesh.logPath})`);
    },
    { timeout: READY_MS + 60_000 },
  );
  afterEach((t) => {
    if ((t as { passed?: boolean }).passed !== true) anyFailed = true;
  });
  after(
    async () => {
      await mesh?.stop(anyFailed);
      pki?.remove();
      console.log(`tool time in tls.test.ts:\n${toolTimes()}`);
    },
    { timeout: 60_000 },
  );

  describe("mTLS on every port", () => {
    test("grpc-health-probe -tls with the CA and a client certificate: SERVING; without the certificate, or in cleartext: no connection", async () => {
      for (const service of SERVICE_NAMES) {
        const served = await probe(service, mtlsProbeFlags());
        assert.equal(served.code, PROBE_EXIT.SERVING, `${service}: ${describeRun(served)}`);
        const anonymous = await probe(service, ["-tls", "-tls-ca-cert", ca.certFile]);
        assert.equal(anonymous.code, PROBE_EXIT.CONNECTION_FAILURE, `${service} without a client certificate: ${describeRun(anonymous)}`);
        const cleartext = await probe(service, []);
        assert.equal(cleartext.code, PROBE_EXIT.CONNECTION_FAILURE, `${service} in cleartext: ${describeRun(cleartext)}`);
      }
    });

    test("grpcurl -cacert -cert -key: reflection lists the services, and GetUserStatistics is complete (user called point and department over mTLS)", async () => {
      const list = await run(tools.grpcurl, [...grpcurlFlags(), address("user"), "list"]);
      assert.equal(list.code, 0, describeRun(list));
      assert.ok(list.stdout.split("\n").includes("mesh.user.v1.UserService"));
      const stats = await grpcurl("user", "GetUserStatistics", { page_size: 9 });
      assert.ok(stats.ok);
      assert.deepEqual(stats.message.degraded ?? [], []);
      assert.equal(stats.message.users.find((r: Json) => r.user.id === REF.users.george).points, "93");
      const report = await grpcurl("department", "GetDepartmentReport", { id: REF.departments.itSupport });
      assert.ok(report.ok);
      assert.deepEqual([report.message.degraded ?? [], report.message.totalPoints], [[], REF.itSupport.totalPoints]);
    });

    test("grpcurl -H authorization over mTLS: a write without a token is UNAUTHENTICATED, with one it is made", async () => {
      const name = `TLS Ale ${Date.now()}`;
      const refused = await grpcurl("beer", "AddBeer", { name });
      assert.deepEqual(refused, { ok: false, code: Code.UNAUTHENTICATED });
      const added = await grpcurl("beer", "AddBeer", { name }, mesh.token);
      assert.ok(added.ok);
      assert.equal(added.message.beer.name, name);
      assert.ok((await grpcurl("beer", "RemoveBeer", { id: added.message.beer.id }, mesh.token)).ok);
    });

    test("curl: Connect JSON over HTTP/1.1 on the TLS port (ALPN); the cleartext HTTP/1.1 port is closed", async () => {
      const url = `https://localhost:${mesh.endpoints.beer.grpcPort}/${fullMethod("beer", "GetBeer")}`;
      const tlsArgs = ["--cacert", ca.certFile, "--cert", client.certFile, "--key", client.keyFile];
      const http1 = await run(tools.curl, ["-sS", "--http1.1", ...tlsArgs, "-H", "Content-Type: application/json", "-d", JSON.stringify({ id: REF.beers.duff }), "-w", "\n%{http_version}", url]);
      assert.equal(http1.code, 0, describeRun(http1));
      const [body, version] = http1.stdout.split("\n");
      assert.deepEqual([JSON.parse(body!).beer.name, version], ["Duff", "1.1"]);
      const noCert = await run(tools.curl, ["-sS", "--http1.1", "--cacert", ca.certFile, "-H", "Content-Type: application/json", "-d", "{}", url]);
      assert.notEqual(noCert.code, 0, "refused without a client certificate");
      const cleartext = await run(tools.curl, ["-sS", "--max-time", "2", `http://localhost:${mesh.endpoints.beer.httpPort}/`]);
      assert.equal(cleartext.code, 7, `nothing listens on the HTTP/1.1 port: ${describeRun(cleartext)}`);
    });
  });
}
