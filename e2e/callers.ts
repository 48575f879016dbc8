// One shape for "call an RPC with JSON" over every outside client that can:
// grpcurl, buf curl (gRPC, gRPC-Web, Connect) and curl (Connect over HTTP/1.1
// and h2c). Each caller checks its tool's own conventions (exit codes, HTTP
// statuses, HTTP version) before it answers, so a scenario written once runs
// through all of them and asserts on codes and values only. A caller made with
// a token sends it on every call ("authorization: Bearer <token>").
import assert from "node:assert/strict";
import { fromBinary } from "@bufbuild/protobuf";
import { BadRequestSchema, ErrorInfoSchema } from "../gen/google/rpc/error_details_pb.js";
import { fullMethod, type ServiceName } from "./mesh-facts.js";
import { describeRun, run, spawnLive, type LiveProcess, type Tools } from "./tools.js";

/** gRPC status codes by number, and the Connect protocol's names for them. */
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

const CONNECT_NAMES = [
  "ok", "canceled", "unknown", "invalid_argument", "deadline_exceeded", "not_found", "already_exists",
  "permission_denied", "resource_exhausted", "failed_precondition", "aborted", "out_of_range",
  "unimplemented", "internal", "unavailable", "data_loss", "unauthenticated",
];

/** HTTP status of a Connect unary error, by code (connectrpc.com/docs/protocol, "Error Codes"). */
const CONNECT_HTTP_STATUS = [200, 499, 500, 400, 504, 404, 409, 403, 429, 400, 409, 400, 501, 500, 503, 500, 401];

export function connectCodeNumber(name: string): number {
  const code = CONNECT_NAMES.indexOf(name);
  assert.ok(code > 0, `unknown Connect error code "${name}"`);
  return code;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** A google.rpc detail, whatever encoding the tool showed it in. */
export interface Detail {
  /** Full type name, e.g. google.rpc.BadRequest. */
  readonly type: string;
  /** BadRequest: the fields named by its violations. */
  readonly fields?: readonly string[];
  /** ErrorInfo: its reason and metadata. */
  readonly reason?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export type Outcome =
  | { readonly ok: true; readonly message: Json }
  | { readonly ok: false; readonly code: number; readonly message: string; readonly details: readonly Detail[] };

/** A server stream being read by a tool. */
export interface LiveStream {
  /** Every complete message received so far. */
  messages(): Json[];
  /** Resolves with the messages once `ready(messages)` holds; fails after `ms` or if the stream ends first. */
  waitFor(ready: (messages: Json[]) => boolean, ms: number): Promise<Json[]>;
  /** Stops reading; asserts the stream was still open (the tool did not end by itself). */
  stop(): Promise<void>;
}

export interface Caller {
  /** For test names, e.g. "buf curl --protocol grpcweb". */
  readonly name: string;
  call(service: ServiceName, method: string, request: Json): Promise<Outcome>;
  /**
   * A google.protobuf.FieldMask as this tool reads it: the proto3 JSON string
   * ("name,age"), except grpcurl (1.9.3), which only reads {"paths": [...]}.
   */
  fieldMask(paths: readonly string[]): Json;
  /** Opens a server stream; absent when the tool does not stream (curl). */
  readonly openStream?: (service: ServiceName, method: string, request: Json) => LiveStream;
}

function liveStream(process: LiveProcess): LiveStream {
  return {
    messages: () => parseJsonStream(process.stdout()),
    async waitFor(ready, ms) {
      await process.waitFor((stdout) => ready(parseJsonStream(stdout)), ms);
      return parseJsonStream(process.stdout());
    },
    async stop() {
      const result = await process.stop();
      assert.ok(result.timedOut, `the stream ended by itself: ${describeRun(result)}`);
    },
  };
}

/** Where one service listens, as the mesh's start table reported it. */
export interface Endpoint {
  readonly grpcPort: number;
  readonly httpPort: number;
}
export type Endpoints = Readonly<Record<ServiceName, Endpoint>>;

/** Splits concatenated JSON values (grpcurl and buf curl print one per message); a trailing partial value is dropped. */
export function parseJsonStream(text: string): Json[] {
  const values: Json[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{" || c === "[") {
      if (depth === 0) start = i;
      depth++;
    } else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) values.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  return values;
}

/** Details in the binary form (buf curl and Connect JSON): decoded from their bytes with the google.rpc schemas. */
function decodeBinaryDetail(detail: { type: string; value: string }): Detail {
  const bytes = Buffer.from(detail.value, "base64");
  switch (detail.type) {
    case "google.rpc.BadRequest":
      return { type: detail.type, fields: fromBinary(BadRequestSchema, bytes).fieldViolations.map((v) => v.field) };
    case "google.rpc.ErrorInfo": {
      const info = fromBinary(ErrorInfoSchema, bytes);
      return { type: detail.type, reason: info.reason, metadata: { ...info.metadata } };
    }
    default:
      return { type: detail.type };
  }
}

/** Details as grpcurl -format-error prints them: protojson Any with "@type". */
function decodeJsonDetail(detail: Json): Detail {
  const type = String(detail["@type"]).replace(/^type\.googleapis\.com\//, "");
  switch (type) {
    case "google.rpc.BadRequest":
      return { type, fields: (detail.fieldViolations ?? []).map((v: Json) => v.field) };
    case "google.rpc.ErrorInfo":
      return { type, reason: detail.reason, metadata: detail.metadata ?? {} };
    default:
      return { type };
  }
}

/** The header every tool takes with -H. */
function authorizationHeader(token: string | undefined): string[] {
  return token === undefined ? [] : ["-H", `authorization: Bearer ${token}`];
}

export function grpcurlCaller(tools: Tools, endpoints: Endpoints, token?: string): Caller {
  const target = (service: ServiceName) => `127.0.0.1:${endpoints[service].grpcPort}`;
  const auth = authorizationHeader(token);
  return {
    name: "grpcurl",
    fieldMask: (paths) => ({ paths }),
    async call(service, method, request) {
      const result = await run(tools.grpcurl, ["-plaintext", "-format-error", ...auth, "-d", JSON.stringify(request), target(service), fullMethod(service, method)]);
      if (result.code === 0) return { ok: true, message: JSON.parse(result.stdout) };
      // grpcurl exits 64 + the status code of a failed RPC.
      assert.ok(result.code !== null && result.code > 64 && result.code <= 80, `grpcurl did not get an RPC status: ${describeRun(result)}`);
      // -format-error prints the status as JSON on stderr.
      const error = JSON.parse(result.stderr);
      assert.equal(error.code, result.code - 64, `grpcurl's exit code and printed code disagree: ${describeRun(result)}`);
      return { ok: false, code: error.code, message: error.message ?? "", details: (error.details ?? []).map(decodeJsonDetail) };
    },
    openStream(service, method, request) {
      // -max-time bounds a stream nobody stops; tests stop it once they have seen what they wait for.
      return liveStream(
        spawnLive(tools.grpcurl, ["-plaintext", "-max-time", "120", ...auth, "-d", JSON.stringify(request), target(service), fullMethod(service, method)]),
      );
    },
  };
}

export type BufProtocol = "grpc" | "grpcweb" | "connect";

/** buf curl over h2c: reflection is a bidi stream and needs HTTP/2, so every protocol goes to the gRPC port. */
export function bufCurlCaller(tools: Tools, endpoints: Endpoints, protocol: BufProtocol, token?: string): Caller {
  const url = (service: ServiceName, method: string) => `http://127.0.0.1:${endpoints[service].grpcPort}/${fullMethod(service, method)}`;
  const base = ["curl", "--http2-prior-knowledge", "--protocol", protocol, ...authorizationHeader(token)];
  return {
    name: `buf curl --protocol ${protocol}`,
    fieldMask: (paths) => paths.join(","),
    async call(service, method, request) {
      const result = await run(tools.buf, [...base, "-d", JSON.stringify(request), url(service, method)]);
      if (result.code === 0) return { ok: true, message: JSON.parse(result.stdout) };
      // buf curl exits 8 x the status code of a failed RPC, and prints the error on stderr.
      assert.ok(result.code !== null && result.code % 8 === 0 && result.code > 0 && result.code <= 128, `buf curl did not get an RPC status: ${describeRun(result)}`);
      const error = JSON.parse(result.stderr);
      assert.equal(connectCodeNumber(error.code), result.code / 8, `buf curl's exit code and printed code disagree: ${describeRun(result)}`);
      return {
        ok: false,
        code: result.code / 8,
        message: error.message ?? "",
        details: (error.details ?? []).map(decodeBinaryDetail),
      };
    },
    openStream(service, method, request) {
      return liveStream(spawnLive(tools.buf, [...base, "-d", JSON.stringify(request), url(service, method)]));
    },
  };
}

export type HttpVersion = "1.1" | "h2c";

/** JSON over the Connect protocol with curl: POST to the HTTP/1.1 port, or to the gRPC port with HTTP/2 prior knowledge. */
export function curlCaller(tools: Tools, endpoints: Endpoints, version: HttpVersion, token?: string): Caller {
  return {
    name: `curl Connect JSON over ${version === "1.1" ? "HTTP/1.1" : "h2c"}`,
    fieldMask: (paths) => paths.join(","),
    async call(service, method, request) {
      const endpoint = endpoints[service];
      const port = version === "1.1" ? endpoint.httpPort : endpoint.grpcPort;
      const response = await curlJson(tools, version, [
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        ...authorizationHeader(token),
        "--data-binary",
        JSON.stringify(request),
        `http://127.0.0.1:${port}/${fullMethod(service, method)}`,
      ]);
      return connectOutcome(response);
    },
  };
}

export interface HttpResponse {
  readonly status: number;
  readonly body: string;
}

/** Runs curl, asserts the HTTP version the server answered with, and returns status and body. */
export async function curlJson(tools: Tools, version: HttpVersion, args: readonly string[]): Promise<HttpResponse> {
  const result = await run(tools.curl, [
    "-sS",
    "--max-time",
    "20",
    ...(version === "h2c" ? ["--http2-prior-knowledge"] : ["--http1.1"]),
    "-w",
    "\n%{http_code} %{http_version}",
    ...args,
  ]);
  assert.equal(result.code, 0, `curl failed: ${describeRun(result)}`);
  const cut = result.stdout.lastIndexOf("\n");
  const [status = "", httpVersion = ""] = result.stdout.slice(cut + 1).split(" ");
  assert.equal(httpVersion, version === "h2c" ? "2" : "1.1", "the server answered in another HTTP version");
  return { status: Number(status), body: result.stdout.slice(0, cut) };
}

/** A Connect unary response: 200 with the message, or an error whose HTTP status matches its code. */
export function connectOutcome(response: HttpResponse): Outcome {
  const body = JSON.parse(response.body);
  if (response.status === 200) return { ok: true, message: body };
  const code = connectCodeNumber(body.code);
  assert.equal(response.status, CONNECT_HTTP_STATUS[code], `HTTP status ${response.status} for Connect code ${body.code}`);
  return { ok: false, code, message: body.message ?? "", details: (body.details ?? []).map(decodeBinaryDetail) };
}

export function allCallers(tools: Tools, endpoints: Endpoints, token?: string): Caller[] {
  return [
    grpcurlCaller(tools, endpoints, token),
    bufCurlCaller(tools, endpoints, "grpc", token),
    bufCurlCaller(tools, endpoints, "grpcweb", token),
    bufCurlCaller(tools, endpoints, "connect", token),
    curlCaller(tools, endpoints, "1.1", token),
    curlCaller(tools, endpoints, "h2c", token),
  ];
}

/** The message of a successful call; fails the test with the error otherwise. */
export function ok(outcome: Outcome): Json {
  if (!outcome.ok) assert.fail(`expected OK, got code ${outcome.code}: ${outcome.message} ${JSON.stringify(outcome.details)}`);
  return outcome.message;
}

export interface ExpectedError {
  /** The fields a google.rpc.BadRequest must name, in order. */
  readonly fields?: readonly string[];
  /** The reason a google.rpc.ErrorInfo must carry. */
  readonly reason?: string;
}

/** Asserts a failed call with this code and, when given, these details. */
export function fails(outcome: Outcome, code: number, expected: ExpectedError = {}): void {
  assert.equal(outcome.ok, false, `expected code ${code}, got OK: ${outcome.ok ? JSON.stringify(outcome.message) : ""}`);
  if (outcome.ok) return;
  assert.equal(outcome.code, code, `code (message: ${outcome.message})`);
  if (expected.fields !== undefined) {
    const badRequest = outcome.details.find((d) => d.type === "google.rpc.BadRequest");
    assert.ok(badRequest, `no google.rpc.BadRequest among ${JSON.stringify(outcome.details)}`);
    assert.deepEqual(badRequest.fields, expected.fields);
  }
  if (expected.reason !== undefined) {
    const info = outcome.details.find((d) => d.type === "google.rpc.ErrorInfo");
    assert.ok(info, `no google.rpc.ErrorInfo among ${JSON.stringify(outcome.details)}`);
    assert.equal(info.reason, expected.reason);
  }
}
