// `npm start`: runs the four services as separate processes with the reference
// data on embedded databases (or DATABASE_URL), prints their endpoints once
// each reports SERVING, and stops them cleanly on Ctrl-C or SIGTERM. Writes
// need a token: unless AUTH_JWT_SECRET (or AUTH_JWKS_URL) is set, a random
// secret is made for this run and a development token signed with it is printed.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../gen/grpc/health/v1/health_pb.js";
import { randomSecret, signToken } from "../services/platform/auth-token.js";
import { EnvReader } from "../services/platform/config.js";
import { readServiceConfig, SERVICE_NAMES, type ServiceName } from "../services/platform/service-config.js";

const READY_TIMEOUT_MS = 120_000;

interface Child {
  readonly name: ServiceName;
  readonly port: number;
  readonly httpPort: number;
  readonly process: ChildProcess;
  exited: boolean;
}

// The local mesh: seeded, and each service told where its peers listen.
const env: NodeJS.ProcessEnv = { SEED: "true", ...process.env };
// A secret for this run only: tokens printed below stop working when the mesh restarts.
const generatedSecret = !env.AUTH_JWT_SECRET?.trim() && !env.AUTH_JWKS_URL?.trim();
if (generatedSecret) env.AUTH_JWT_SECRET = randomSecret();
const configs = SERVICE_NAMES.map((name) => readServiceConfig(name, new EnvReader(env)));
const tls = configs[0]!.server.tls !== undefined;
for (const config of configs) {
  env[`${config.service.toUpperCase()}_SERVICE_ADDR`] ??= `localhost:${config.server.port}`;
}

const children: Child[] = configs.map((config) => {
  const child: Child = {
    name: config.service,
    port: config.server.port,
    httpPort: config.server.httpPort,
    process: spawn(process.execPath, [...process.execArgv, `services/${config.service}/main.ts`], {
      env,
      stdio: "inherit",
    }),
    exited: false,
  };
  child.process.on("exit", (code, signal) => {
    child.exited = true;
    if (!stopping) {
      console.error(`start: the ${child.name} service exited (${signal ?? `code ${code}`}); stopping the others`);
      void stop(1);
    }
  });
  return child;
});

let stopping = false;
async function stop(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.exitCode = exitCode;
  for (const child of children) if (!child.exited) child.process.kill("SIGTERM");
}

process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));

/** With TLS on, start.ts checks health as the services call each other: with the UPSTREAM_TLS_* files. */
function healthTransport(port: number) {
  if (!tls) return createGrpcTransport({ baseUrl: `http://localhost:${port}` });
  const files = configs[0]!.upstreamTls;
  const read = (file: string | undefined) => (file === undefined ? undefined : readFileSync(file));
  const [ca, cert, key] = [read(files?.caFile), read(files?.certFile), read(files?.keyFile)];
  return createGrpcTransport({ baseUrl: `https://localhost:${port}`, nodeOptions: { ...(ca && { ca }), ...(cert && key && { cert, key }) } });
}

async function waitServing(child: Child): Promise<void> {
  const health = createClient(Health, healthTransport(child.port));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!stopping && Date.now() < deadline) {
    try {
      if ((await health.check({ service: "" }, { timeoutMs: 1_000 })).status === Status.SERVING) return;
    } catch (err) {
      if (ConnectError.from(err).code !== Code.Unavailable) throw err;
    }
    await sleep(250);
  }
  if (!stopping) throw new Error(`the ${child.name} service was not SERVING within ${READY_TIMEOUT_MS / 1000} s`);
}

try {
  await Promise.all(children.map(waitServing));
  if (!stopping) {
    const rows = children.map((c) => [
      c.name,
      `localhost:${c.port}`,
      // Under TLS the services serve HTTP/1.1 on the TLS port only.
      c.httpPort >= 0 && !tls ? `http://localhost:${c.httpPort}` : "-",
      "SERVING",
    ]);
    printTable(
      ["service", tls ? "gRPC / gRPC-Web / Connect (TLS, HTTP/2 and HTTP/1.1)" : "gRPC / gRPC-Web / Connect (h2c)", "Connect / gRPC-Web (HTTP/1.1)", "health"],
      rows,
    );
    const grpcurl = tls ? grpcurlTlsFlags() : "grpcurl -plaintext";
    console.log(`\nTry: ${grpcurl} localhost:${children[0]!.port} mesh.user.v1.UserService/GetUserStatistics`);
    await printToken(grpcurl, children.find((c) => c.name === "beer")!.port);
    console.log("Ctrl-C stops the mesh.");
  }
} catch (err) {
  console.error(`start: ${(err as Error).message}`);
  await stop(1);
}

/** grpcurl's TLS flags for this mesh: the files the services themselves use to call each other. */
function grpcurlTlsFlags(): string {
  const files = configs[0]!.upstreamTls;
  const flags = ["grpcurl", `-cacert ${files?.caFile ?? "ca.crt"}`];
  if (configs[0]!.server.tls?.clientCaFile !== undefined) flags.push(`-cert ${files?.certFile ?? "client.crt"}`, `-key ${files?.keyFile ?? "client.key"}`);
  return flags.join(" ");
}

/** Writes need a token: print one for this mesh (or say where tokens come from). */
async function printToken(grpcurl: string, beerPort: number): Promise<void> {
  const auth = configs[0]!.auth;
  if (auth.keys?.kind !== "secret") {
    console.log(`\nWrites need a bearer token with the scope mesh:write from the identity provider of AUTH_JWKS_URL (issuer ${auth.issuer}, audience ${auth.audience}).`);
    return;
  }
  const token = await signToken({ secret: auth.keys.secret, issuer: auth.issuer, audience: auth.audience, expiresInSeconds: 12 * 3600 });
  console.log(`\nWrites need a token. A development token (scopes mesh:read mesh:write, valid 12 h${generatedSecret ? ", for this run of the mesh only" : ""}):\n`);
  console.log(`export TOKEN=${token}`);
  console.log(`${grpcurl} -H "authorization: Bearer $TOKEN" -d '{"name": "Pale Ale", "style": "APA", "abv": 5.2}' \\\n  localhost:${beerPort} mesh.beer.v1.BeerService/AddBeer`);
  console.log(`MESH_TOKEN=$TOKEN npx mesh beers add "Pale Ale" --style APA --abv 5.2`);
  if (generatedSecret) console.log("(Set AUTH_JWT_SECRET to keep tokens valid across restarts; then `npm run -s token` mints more.)");
  console.log("");
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  console.log(`\n${line(header)}\n${widths.map((w) => "-".repeat(w)).join("  ")}`);
  for (const row of rows) console.log(line(row));
}
