// A catalogue of malformed requests for any method: broken gRPC frames,
// random and hostile protobuf, bad JSON, wrong content types and headers, in
// gRPC, gRPC-Web and Connect (unary, GET and streaming), over HTTP/2 and HTTP/1.1.
// Every request is built from a seeded generator, so a failure can be replayed.
import { gzipSync } from "node:zlib";
import { ScalarType, type DescField, type DescMethod } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel as Idempotency } from "@bufbuild/protobuf/wkt";
import { envelope, type Protocol } from "../testing/raw-rpc.js";

export interface MalformedRequest {
  /** Which kind of damage, for the counts. */
  readonly variant: string;
  readonly http: "h2" | "h1";
  readonly protocol: Protocol;
  readonly method?: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array[];
}

/** A small seeded generator (mulberry32): the same seed, the same requests. */
export function createRandom(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    bytes(length: number): Uint8Array {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) out[i] = Math.floor(next() * 256);
      return out;
    },
    pick<T>(items: readonly T[]): T {
      return items[Math.floor(next() * items.length)]!;
    },
  };
}
export type Random = ReturnType<typeof createRandom>;

// --- protobuf wire-format pieces ---------------------------------------------

function varint(value: bigint): number[] {
  const out: number[] = [];
  let v = value;
  while (v > 0x7fn) {
    out.push(Number((v & 0x7fn) | 0x80n));
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

const tag = (field: number, wireType: number) => varint(BigInt((field << 3) | wireType));
const lengthDelimited = (field: number, bytes: ArrayLike<number>) => [...tag(field, 2), ...varint(BigInt(bytes.length)), ...Array.from(bytes)];

const INVALID_UTF8: ReadonlyArray<readonly number[]> = [
  [0xc3, 0x28], // a lead byte without its continuation
  [0xff, 0xfe, 0xfd], // bytes that never occur in UTF-8
  [0xed, 0xa0, 0x80], // an encoded surrogate
  [0xf8, 0x88, 0x80, 0x80, 0x80], // a five-byte form
  [0xc0, 0xaf], // an overlong "/"
  [0x61, 0x00, 0x62], // a NUL inside text
];

function stringFields(method: DescMethod): Array<{ path: DescField[] }> {
  const found: Array<{ path: DescField[] }> = [];
  for (const field of method.input.fields) {
    if (field.fieldKind === "scalar" && field.scalar === ScalarType.STRING) found.push({ path: [field] });
    if (field.fieldKind === "list" && field.listKind === "scalar" && field.scalar === ScalarType.STRING) found.push({ path: [field] });
    if (field.fieldKind === "map" && field.mapKey === ScalarType.STRING) found.push({ path: [field] });
    if (field.fieldKind === "message") {
      for (const inner of field.message.fields) {
        if (inner.fieldKind === "scalar" && inner.scalar === ScalarType.STRING) found.push({ path: [field, inner] });
      }
    }
  }
  return found;
}

/** A message whose string field (perhaps one level down) holds invalid UTF-8. */
function invalidUtf8Message(method: DescMethod, random: Random): Uint8Array {
  const fields = stringFields(method);
  const bad = random.pick(INVALID_UTF8);
  if (fields.length === 0) return Uint8Array.from(lengthDelimited(1, bad));
  const { path } = random.pick(fields);
  let bytes: number[] = [...bad];
  // A map entry is a message with the key as field 1.
  if (path[0]!.fieldKind === "map") bytes = lengthDelimited(1, bytes);
  for (let i = path.length - 1; i >= 0; i--) bytes = lengthDelimited(path[i]!.number, bytes);
  return Uint8Array.from(bytes);
}

/** Varints that overflow, lengths that point past the end, impossible wire types. */
function hostileWire(random: Random): Uint8Array {
  const field = random.int(1, 8);
  const forms: Array<() => number[]> = [
    () => [...Array(10).fill(0xff), 0x01], // a tag varint of 11 bytes
    () => [...tag(field, 0), ...Array(10).fill(0xff), 0x7f], // a value varint of 11 bytes
    () => [...tag(field, 0), ...Array(9).fill(0xff), 0x01], // 2^64 - 1
    () => [...tag(field, 2), 0xff, 0xff, 0xff, 0xff, 0x0f, 0x61], // a length of 4 GiB
    () => [...tag(field, 2), 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], // a length varint that never ends in range
    () => [...tag(field, 7), 0x00], // wire type 7 does not exist
    () => [...tag(field, 6), 0x00], // nor does 6
    () => [...tag(field, 3), ...tag(field + 1, 0), 0x01], // a group never closed
    () => [...tag(field, 4)], // an end-group without a start
    () => [...tag(0, 0), 0x01], // field number 0
    () => [...varint(BigInt(((2 ** 29) << 3) | 0)), 0x01], // field number 2^29, beyond the maximum
    () => [...tag(field, 5), 0x01, 0x02], // a fixed32 cut short
    () => [...tag(field, 1), 0x01], // a fixed64 cut short
    () => [...tag(field, random.pick([0, 1, 5])), ...Array(8).fill(0x80)], // a value of the wrong wire type, unterminated
  ];
  return Uint8Array.from(random.pick(forms)());
}

// --- JSON --------------------------------------------------------------------

function badJson(method: DescMethod, random: Random): Uint8Array {
  const someField = method.input.fields[0]?.jsonName ?? "x";
  const forms: Array<() => string | Uint8Array> = [
    () => `{"${someField}": `,
    () => "{",
    () => "[1, 2",
    () => "nul",
    () => "42",
    () => '"a string"',
    () => "[]",
    () => `{"${someField}": {"${someField}": [`,
    () => `{"${someField}": 1e400}`,
    () => `{"${someField}": "\\ud800"}`,
    () => `{"${someField}": "\\u12"}`,
    () => `{"${someField}": true, "${someField}": [null]}`,
    () => `{"${someField}": 18446744073709551616123}`,
    () => `{"${someField}": NaN}`,
    () => `{"${someField}": {"@type": "type.googleapis.com/none"}}`,
    () => "[".repeat(20_000) + "]".repeat(20_000),
    () => `{"a":`.repeat(10_000) + "1" + "}".repeat(10_000),
    () => Buffer.concat([Buffer.from(`{"${someField}": "`), Buffer.from(random.pick(INVALID_UTF8)), Buffer.from('"}')]),
    () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("{}")]),
    () => `{"${someField}": "${"\\u0000".repeat(5)}"}`,
    () => random.bytes(random.int(1, 64)),
  ];
  const made = random.pick(forms)();
  return typeof made === "string" ? Buffer.from(made) : made;
}

// --- the catalogue -------------------------------------------------------------

const GRPC_HEADERS = { "content-type": "application/grpc", te: "trailers" };

/** gRPC message payloads (framed by the caller) that must be refused or treated as data. */
function payload(method: DescMethod, random: Random): { kind: string; bytes: Uint8Array } {
  const r = random.int(0, 3);
  if (r === 0) return { kind: "random bytes", bytes: random.bytes(random.int(0, 300)) };
  if (r === 1) return { kind: "invalid UTF-8", bytes: invalidUtf8Message(method, random) };
  if (r === 2) return { kind: "hostile varints and wire types", bytes: hostileWire(random) };
  return { kind: "random bytes after a valid field", bytes: Uint8Array.from([...lengthDelimited(15, [0x61]), ...random.bytes(random.int(1, 40))]) };
}

export interface CatalogueOptions {
  /** The server's READ_MAX_BYTES: oversized bodies are just over it. */
  readonly readMaxBytes: number;
}

/**
 * Returns one malformed request for `method`, chosen by `n` (so that walking n
 * over a range covers every variant) with details drawn from `random`.
 */
export function malformedRequest(method: DescMethod, n: number, random: Random, options: CatalogueOptions): MalformedRequest {
  const path = `/${method.parent.typeName}/${method.name}`;
  const streaming = method.methodKind !== "unary";
  // A stream that parses may rightly stay open: give it a deadline so it ends.
  const grpcDeadline: Record<string, string> = streaming ? { "grpc-timeout": "500m" } : {};
  const connectDeadline: Record<string, string> = streaming ? { "connect-timeout-ms": "500" } : {};
  const oversized = () => random.bytes(options.readMaxBytes + random.int(1, 4096));
  const builders: Array<() => MalformedRequest> = [
    // gRPC over HTTP/2
    () => {
      const p = payload(method, random);
      return { variant: `grpc: ${p.kind}`, http: "h2", protocol: "grpc", path, headers: { ...GRPC_HEADERS, ...grpcDeadline }, body: [envelope(p.bytes)] };
    },
    () => {
      const full = envelope(random.bytes(random.int(2, 200)));
      return { variant: "grpc: truncated frame", http: "h2", protocol: "grpc", path, headers: { ...GRPC_HEADERS, ...grpcDeadline }, body: [full.subarray(0, random.int(1, full.length - 1))] };
    },
    () => {
      const bytes = random.bytes(random.int(4, 100));
      const claimed = random.next() < 0.5 ? random.int(bytes.length + 1, bytes.length + 1000) : random.int(0, bytes.length - 1);
      return { variant: "grpc: wrong length prefix", http: "h2", protocol: "grpc", path, headers: { ...GRPC_HEADERS, ...grpcDeadline }, body: [envelope(bytes, 0, claimed)] };
    },
    () => ({ variant: "grpc: length prefix of 4 GiB", http: "h2", protocol: "grpc", path, headers: { ...GRPC_HEADERS, ...grpcDeadline }, body: [envelope(random.bytes(16), 0, 0xffffffff)] }),
    () => ({ variant: "grpc: oversized message", http: "h2", protocol: "grpc", path, headers: { ...GRPC_HEADERS, ...grpcDeadline }, body: [envelope(oversized())] }),
    () => ({ variant: "grpc: no message", http: "h2", protocol: "grpc", path, headers: { ...GRPC_HEADERS, ...grpcDeadline }, body: [] }),
    () => ({ variant: "grpc: two messages", http: "h2", protocol: "grpc", path, headers: { ...GRPC_HEADERS, ...grpcDeadline }, body: [envelope(new Uint8Array()), envelope(new Uint8Array())] }),
    () => ({ variant: "grpc: compressed flag without grpc-encoding", http: "h2", protocol: "grpc", path, headers: { ...GRPC_HEADERS, ...grpcDeadline }, body: [envelope(random.bytes(10), 1)] }),
    () => ({ variant: "grpc: gzip that is not gzip", http: "h2", protocol: "grpc", path, headers: { ...GRPC_HEADERS, ...grpcDeadline, "grpc-encoding": "gzip" }, body: [envelope(random.bytes(random.int(1, 100)), 1)] }),
    () => ({ variant: "grpc: gzip bomb", http: "h2", protocol: "grpc", path, headers: { ...GRPC_HEADERS, ...grpcDeadline, "grpc-encoding": "gzip" }, body: [envelope(gzipSync(Buffer.alloc(options.readMaxBytes * 4)), 1)] }),
    () => ({ variant: "grpc: unknown grpc-encoding", http: "h2", protocol: "grpc", path, headers: { ...GRPC_HEADERS, ...grpcDeadline, "grpc-encoding": "snappy" }, body: [envelope(random.bytes(5), 1)] }),
    () => ({ variant: "grpc: bad grpc-timeout", http: "h2", protocol: "grpc", path, headers: { ...GRPC_HEADERS, "grpc-timeout": random.pick(["abc", "-1S", "999999999S", "1X", "", "10"]) }, body: [envelope(new Uint8Array())] }),
    () => ({ variant: "grpc: JSON codec, bad JSON", http: "h2", protocol: "grpc", path, headers: { ...GRPC_HEADERS, ...grpcDeadline, "content-type": "application/grpc+json" }, body: [envelope(badJson(method, random))] }),
    () => ({ variant: "grpc: frames split across writes", http: "h2", protocol: "grpc", path, headers: { ...GRPC_HEADERS, ...grpcDeadline }, body: splitAnywhere(envelope(payload(method, random).bytes), random) }),
    () => ({ variant: "grpc: GET", http: "h2", protocol: "grpc", method: "GET", path, headers: { ...GRPC_HEADERS }, body: [] }),
    () => ({ variant: "wrong content type (HTTP/2)", http: "h2", protocol: "grpc", path, headers: { "content-type": random.pick(["text/plain", "application/xml", "application/grpc+avro", "multipart/form-data", "application/octet-stream"]) }, body: [random.bytes(20)] }),
    () => ({ variant: "no content type (HTTP/2)", http: "h2", protocol: "grpc", path, headers: {}, body: [random.bytes(20)] }),
    // gRPC-Web over HTTP/2 and HTTP/1.1
    () => {
      const p = payload(method, random);
      return { variant: `grpc-web: ${p.kind}`, http: random.pick(["h2", "h1"] as const), protocol: "grpc-web", path, headers: { "content-type": "application/grpc-web+proto", ...grpcDeadline }, body: [envelope(p.bytes)] };
    },
    () => {
      const full = envelope(random.bytes(random.int(2, 200)));
      return { variant: "grpc-web: truncated frame", http: random.pick(["h2", "h1"] as const), protocol: "grpc-web", path, headers: { "content-type": "application/grpc-web", ...grpcDeadline }, body: [full.subarray(0, random.int(1, full.length - 1))] };
    },
    () => ({ variant: "grpc-web: oversized message", http: random.pick(["h2", "h1"] as const), protocol: "grpc-web", path, headers: { "content-type": "application/grpc-web+proto", ...grpcDeadline }, body: [envelope(oversized())] }),
    () => ({ variant: "grpc-web: trailer flag from the client", http: random.pick(["h2", "h1"] as const), protocol: "grpc-web", path, headers: { "content-type": "application/grpc-web+proto", ...grpcDeadline }, body: [envelope(Buffer.from("grpc-status: 0\r\n"), 0x80)] }),
    () => ({ variant: "grpc-web: JSON codec, bad JSON", http: random.pick(["h2", "h1"] as const), protocol: "grpc-web", path, headers: { "content-type": "application/grpc-web+json", ...grpcDeadline }, body: [envelope(badJson(method, random))] }),
    () => ({ variant: "grpc-web-text (not served)", http: random.pick(["h2", "h1"] as const), protocol: "grpc-web", path, headers: { "content-type": "application/grpc-web-text" }, body: [Buffer.from(envelope(random.bytes(10)).toString("base64"))] }),
    // Connect
    ...(streaming
      ? [
          () => {
            const p = payload(method, random);
            return { variant: `connect stream: ${p.kind}`, http: random.pick(["h2", "h1"] as const), protocol: "connect-stream" as const, path, headers: { "content-type": "application/connect+proto", ...connectDeadline }, body: [envelope(p.bytes)] };
          },
          () => ({ variant: "connect stream: bad JSON", http: random.pick(["h2", "h1"] as const), protocol: "connect-stream" as const, path, headers: { "content-type": "application/connect+json", ...connectDeadline }, body: [envelope(badJson(method, random))] }),
          () => ({ variant: "connect stream: end-stream flag from the client", http: random.pick(["h2", "h1"] as const), protocol: "connect-stream" as const, path, headers: { "content-type": "application/connect+proto", ...connectDeadline }, body: [envelope(Buffer.from("{}"), 0x02)] }),
          () => {
            const full = envelope(random.bytes(random.int(2, 100)));
            return { variant: "connect stream: truncated frame", http: random.pick(["h2", "h1"] as const), protocol: "connect-stream" as const, path, headers: { "content-type": "application/connect+proto", ...connectDeadline }, body: [full.subarray(0, random.int(1, full.length - 1))] };
          },
        ]
      : [
          () => ({ variant: "connect: random bytes as protobuf", http: random.pick(["h2", "h1"] as const), protocol: "connect" as const, path, headers: { "content-type": "application/proto", "connect-protocol-version": "1" }, body: [random.bytes(random.int(0, 300))] }),
          () => ({ variant: "connect: invalid UTF-8 in a string field", http: random.pick(["h2", "h1"] as const), protocol: "connect" as const, path, headers: { "content-type": "application/proto" }, body: [invalidUtf8Message(method, random)] }),
          () => ({ variant: "connect: hostile varints and wire types", http: random.pick(["h2", "h1"] as const), protocol: "connect" as const, path, headers: { "content-type": "application/proto" }, body: [hostileWire(random)] }),
          () => ({ variant: "connect: bad JSON", http: random.pick(["h2", "h1"] as const), protocol: "connect" as const, path, headers: { "content-type": "application/json", "connect-protocol-version": "1" }, body: [badJson(method, random)] }),
          () => ({ variant: "connect: oversized body", http: random.pick(["h2", "h1"] as const), protocol: "connect" as const, path, headers: { "content-type": "application/proto" }, body: [oversized()] }),
          () => ({ variant: "connect: gzip that is not gzip", http: random.pick(["h2", "h1"] as const), protocol: "connect" as const, path, headers: { "content-type": "application/proto", "content-encoding": "gzip" }, body: [random.bytes(random.int(1, 64))] }),
          () => ({ variant: "connect: gzip bomb", http: random.pick(["h2", "h1"] as const), protocol: "connect" as const, path, headers: { "content-type": "application/json", "content-encoding": "gzip" }, body: [gzipSync(Buffer.alloc(options.readMaxBytes * 4, 0x20))] }),
          () => ({ variant: "connect: bad connect-timeout-ms", http: random.pick(["h2", "h1"] as const), protocol: "connect" as const, path, headers: { "content-type": "application/json", "connect-timeout-ms": random.pick(["abc", "-5", "12345678901", "1.5"]) }, body: [Buffer.from("{}")] }),
          () => ({ variant: "connect: unknown protocol version", http: random.pick(["h2", "h1"] as const), protocol: "connect" as const, path, headers: { "content-type": "application/json", "connect-protocol-version": "2" }, body: [Buffer.from("{}")] }),
          () => ({ variant: "connect: streaming content type on a unary method", http: random.pick(["h2", "h1"] as const), protocol: "connect" as const, path, headers: { "content-type": "application/connect+proto" }, body: [envelope(new Uint8Array())] }),
          () => connectGet(method, path, random),
          () => ({ variant: "wrong content type (HTTP/1.1)", http: "h1" as const, protocol: "connect" as const, path, headers: { "content-type": random.pick(["text/html", "application/x-www-form-urlencoded", "image/png", "application/jsonx"]) }, body: [random.bytes(10)] }),
        ]),
  ];
  return builders[n % builders.length]!();
}

function splitAnywhere(bytes: Buffer, random: Random): Uint8Array[] {
  const cuts = [...new Set([random.int(1, bytes.length - 1), random.int(1, bytes.length - 1)])].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const cut of cuts) {
    if (cut <= at || cut >= bytes.length) continue;
    parts.push(bytes.subarray(at, cut));
    at = cut;
  }
  parts.push(bytes.subarray(at));
  return parts;
}

function connectGet(method: DescMethod, path: string, random: Random): MalformedRequest {
  const readOnly = method.idempotency === Idempotency.NO_SIDE_EFFECTS;
  const query = random.pick([
    `connect=v1&encoding=json&message=${encodeURIComponent("{bad")}`,
    `connect=v1&encoding=proto&base64=1&message=${encodeURIComponent("!!not base64!!")}`,
    `connect=v1&encoding=proto&base64=1&message=${Buffer.from(random.bytes(30)).toString("base64url")}`,
    `connect=v1&encoding=xml&message=x`,
    `connect=v1&encoding=json&compression=gzip&message=${encodeURIComponent("{}")}`,
    `connect=v1&encoding=json&message=${"%7B".repeat(2000)}`,
    "connect=v1",
    `encoding=json&message=%ff%fe`,
  ]);
  return { variant: readOnly ? "connect: GET with a bad query" : "connect: GET of a method with side effects", http: random.pick(["h2", "h1"] as const), protocol: "connect", method: "GET", path: `${path}?${query}`, headers: {}, body: [] };
}
