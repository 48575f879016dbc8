// The reflection and health checks of the suite, as functions of an address
// and the contract, so the harness self-test (harness.test.ts) can run the
// very same checks against servers that are broken on purpose and show they
// fail. Each throws an AssertionError naming what disagreed.
import assert from "node:assert/strict";
import type { DescMessage, DescMethod, DescService } from "@bufbuild/protobuf";
import { healthCheck, healthClient, healthList } from "./grpc-js.js";
import { HEALTH_SERVICE, REFLECTION_V1, REFLECTION_V1ALPHA } from "./mesh-facts.js";
import { describeRun, run, type Tools } from "./tools.js";
import { startV1BlockingProxy } from "./v1-blocking-proxy.js";

const HEALTH_METHODS = ["Check", "List", "Watch"].map((m) => `${HEALTH_SERVICE}/${m}`);
const REFLECTION_METHODS = [`${REFLECTION_V1}/ServerReflectionInfo`, `${REFLECTION_V1ALPHA}/ServerReflectionInfo`];

/** A service name no server of the mesh serves. */
export const UNKNOWN_SERVICE = "mesh.nothing.v1.NothingService";

/** grpc-health-probe's exit codes (its README): 0 SERVING, 2 connection failure, 3 RPC failure, 4 not SERVING. */
export const PROBE_EXIT = { SERVING: 0, CONNECTION_FAILURE: 2, RPC_FAILURE: 3, UNHEALTHY: 4 } as const;

async function grpcurl(tools: Tools, address: string, ...args: string[]): Promise<string> {
  const result = await run(tools.grpcurl, ["-plaintext", address, ...args]);
  assert.equal(result.code, 0, `grpcurl ${args.join(" ")}: ${describeRun(result)}`);
  return result.stdout;
}

const lines = (text: string) =>
  text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");

/** `rpc Name ( [stream ].In ) returns ( [stream ].Out )` for every method of the contract. */
function rpcSignature(m: DescMethod): string {
  const clientStream = m.methodKind === "client_streaming" || m.methodKind === "bidi_streaming";
  const serverStream = m.methodKind === "server_streaming" || m.methodKind === "bidi_streaming";
  return `rpc ${m.name} ( ${clientStream ? "stream " : ""}.${m.input.typeName} ) returns ( ${serverStream ? "stream " : ""}.${m.output.typeName} )`;
}

/** The messages a service's methods use, with the mesh messages they contain, each once. */
function messagesOf(service: DescService): DescMessage[] {
  const found = new Map<string, DescMessage>();
  const visit = (message: DescMessage) => {
    if (found.has(message.typeName) || message.typeName.startsWith("google.")) return;
    found.set(message.typeName, message);
    for (const field of message.fields) {
      if (field.fieldKind === "message") visit(field.message);
      else if (field.fieldKind === "list" && field.listKind === "message") visit(field.message);
      else if (field.fieldKind === "map" && field.mapKind === "message") visit(field.message);
    }
  };
  for (const m of service.methods) {
    visit(m.input);
    visit(m.output);
  }
  return [...found.values()];
}

/** `name = number` of every field, as grpcurl describe prints a message. */
function describedFields(text: string): string[] {
  return lines(text)
    .map((l) => /(\w+) = (\d+)(?: \[.*\])?;$/.exec(l))
    .filter((m) => m !== null)
    .map((m) => `${m![1]} = ${m![2]}`)
    .sort();
}

/**
 * Reflection as grpcurl uses it (v1; grpcurl tries v1 first): `list` names
 * exactly the service, health and both reflection services; `list <service>`
 * and `describe <service>` agree with the contract method by method; and
 * `describe` of every message the methods use (and the mesh messages inside
 * them) has the contract's fields and numbers.
 */
export async function checkReflectionWithGrpcurl(tools: Tools, address: string, service: DescService): Promise<void> {
  assert.deepEqual(
    lines(await grpcurl(tools, address, "list")).sort(),
    [HEALTH_SERVICE, REFLECTION_V1, REFLECTION_V1ALPHA, service.typeName].sort(),
    "grpcurl list",
  );
  assert.deepEqual(
    lines(await grpcurl(tools, address, "list", service.typeName)).sort(),
    service.methods.map((m) => `${service.typeName}.${m.name}`).sort(),
    `grpcurl list ${service.typeName}`,
  );
  const described = lines(await grpcurl(tools, address, "describe", service.typeName))
    .filter((l) => l.startsWith("rpc "))
    .map((l) => l.replace(/\s*[{;]$/, ""));
  assert.deepEqual(described.sort(), service.methods.map(rpcSignature).sort(), `grpcurl describe ${service.typeName}`);
  for (const message of messagesOf(service)) {
    const text = await grpcurl(tools, address, "describe", message.typeName);
    assert.ok(text.includes(`message ${message.name} {`), `grpcurl describe ${message.typeName}: ${text}`);
    assert.deepEqual(describedFields(text), message.fields.map((f) => `${f.name} = ${f.number}`).sort(), `fields of ${message.typeName}`);
  }
}

/**
 * Both reflection protocols, each forced with buf curl --reflect-protocol:
 * the methods listed over grpc-v1 and over grpc-v1alpha are exactly the
 * service's, health's and reflection's.
 */
export async function checkReflectionProtocolsWithBufCurl(tools: Tools, port: number, service: DescService): Promise<void> {
  const expected = [...service.methods.map((m) => `${service.typeName}/${m.name}`), ...HEALTH_METHODS, ...REFLECTION_METHODS].sort();
  for (const protocol of ["grpc-v1", "grpc-v1alpha"]) {
    const result = await run(tools.buf, ["curl", "--http2-prior-knowledge", "--reflect-protocol", protocol, "--list-methods", `http://127.0.0.1:${port}`]);
    assert.equal(result.code, 0, `buf curl --reflect-protocol ${protocol} --list-methods: ${describeRun(result)}`);
    assert.deepEqual(lines(result.stdout).sort(), expected, `methods listed over reflection ${protocol}`);
  }
}

/**
 * grpcurl's fallback to v1alpha: through a proxy that refuses reflection v1,
 * grpcurl still lists and describes the service — from the server's v1alpha
 * answers — and the proxy saw it try v1 first.
 */
export async function checkGrpcurlFallbackToV1alpha(tools: Tools, port: number, service: DescService): Promise<void> {
  const proxy = await startV1BlockingProxy(port);
  try {
    const address = `127.0.0.1:${proxy.port}`;
    assert.deepEqual(
      lines(await grpcurl(tools, address, "list")).sort(),
      [HEALTH_SERVICE, REFLECTION_V1, REFLECTION_V1ALPHA, service.typeName].sort(),
      "grpcurl list over v1alpha",
    );
    const described = lines(await grpcurl(tools, address, "describe", service.typeName)).filter((l) => l.startsWith("rpc "));
    assert.equal(described.length, service.methods.length, "grpcurl describe over v1alpha");
    assert.ok((proxy.seen.get(`/${REFLECTION_V1}/ServerReflectionInfo`) ?? 0) >= 1, "grpcurl tried reflection v1 first");
    assert.ok((proxy.seen.get(`/${REFLECTION_V1ALPHA}/ServerReflectionInfo`) ?? 0) >= 1, "grpcurl used reflection v1alpha");
  } finally {
    await proxy.close();
  }
}

export interface ProbeResult {
  readonly code: number | null;
  readonly output: string;
}

/**
 * grpc-health-probe against one server, for the whole server ("") or one
 * service. It retries a refused connection until -connect-timeout, so tests
 * that expect nobody to listen pass a short one.
 */
export async function probe(tools: Tools, address: string, service = "", connectTimeout = "5s"): Promise<ProbeResult> {
  const args = ["-addr", address, "-connect-timeout", connectTimeout, "-rpc-timeout", "5s"];
  if (service !== "") args.push("-service", service);
  const result = await run(tools.healthProbe, args);
  return { code: result.code, output: `${result.stdout}${result.stderr}`.trim() };
}

/**
 * Health as Kubernetes and the standard clients see it: grpc-health-probe
 * exits 0 for "" and the service's name and 3 (the RPC failed: NOT_FOUND) for
 * a name the server does not serve; grpc-js with grpc-health-check's client
 * gets SERVING from Check for both, NOT_FOUND (5) for the unknown name, and
 * both names SERVING from List.
 */
export async function checkHealthServing(tools: Tools, address: string, serviceName: string): Promise<void> {
  for (const name of ["", serviceName]) {
    const result = await probe(tools, address, name);
    assert.equal(result.code, PROBE_EXIT.SERVING, `grpc-health-probe -service "${name}": ${result.output}`);
  }
  const unknown = await probe(tools, address, UNKNOWN_SERVICE);
  assert.equal(unknown.code, PROBE_EXIT.RPC_FAILURE, `grpc-health-probe -service ${UNKNOWN_SERVICE}: ${unknown.output}`);

  const client = healthClient(address);
  try {
    assert.deepEqual(await healthCheck(client, ""), { status: "SERVING" }, "grpc-js Check('')");
    assert.deepEqual(await healthCheck(client, serviceName), { status: "SERVING" }, `grpc-js Check('${serviceName}')`);
    assert.deepEqual(await healthCheck(client, UNKNOWN_SERVICE), { code: 5 }, "grpc-js Check(unknown) is NOT_FOUND");
    const listed = await healthList(client);
    assert.deepEqual([listed[""], listed[serviceName]], ["SERVING", "SERVING"], `grpc-js List: ${JSON.stringify(listed)}`);
  } finally {
    client.close();
  }
}
