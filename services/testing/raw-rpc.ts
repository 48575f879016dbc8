// Requests with exactly the bytes a test chooses, over node:http2 and node:http
// (no Connect client in between), and what the answers mean: the gRPC or
// Connect status code, or the bare HTTP status when no RPC answered.
import * as http from "node:http";
import * as http2 from "node:http2";

export interface RawRequest {
  readonly path: string;
  /** Default POST. */
  readonly method?: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Sent in this many writes (to split frames across DATA frames). */
  readonly body: readonly Uint8Array[];
  /** Gives up (and resets the stream) after this long. */
  readonly timeoutMs: number;
}

export interface RawResponse {
  /** HTTP status; 0 when none came. */
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly trailers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** How the exchange ended when it did not end with a response: "RST_STREAM <code>", "timeout", an error code. */
  readonly failure?: string;
}

const flat = (headers: http2.IncomingHttpHeaders | http.IncomingHttpHeaders): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : String(v ?? "")]));

export function h2Request(session: http2.ClientHttp2Session, req: RawRequest): Promise<RawResponse> {
  return new Promise((resolve) => {
    let status = 0;
    let headers: Record<string, string> = {};
    let trailers: Record<string, string> = {};
    const chunks: Buffer[] = [];
    let settled = false;
    const done = (failure?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ status, headers, trailers, body: Buffer.concat(chunks), ...(failure === undefined ? {} : { failure }) });
    };
    const stream = session.request({ ":method": req.method ?? "POST", ":path": req.path, ...req.headers }, { endStream: false });
    const timer = setTimeout(() => {
      stream.close(http2.constants.NGHTTP2_CANCEL);
      done("timeout");
    }, req.timeoutMs);
    stream.on("response", (h) => {
      status = Number(h[":status"]);
      headers = flat(h);
    });
    stream.on("trailers", (t) => (trailers = flat(t)));
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    let error: string | undefined;
    stream.on("end", () => done());
    // "close" follows "error"; it knows the RST_STREAM code, which says more.
    stream.on("error", (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
    stream.on("close", () => {
      const reset = stream.rstCode !== undefined && stream.rstCode !== 0 ? `RST_STREAM ${rstCodeName(stream.rstCode)}` : undefined;
      done(status === 0 ? (reset ?? error ?? "closed without a response") : undefined);
    });
    for (const part of req.body) stream.write(part);
    stream.end();
  });
}

const RST_CODES = ["NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"];

function rstCodeName(code: number): string {
  return RST_CODES[code] ?? String(code);
}

export function h1Request(agent: http.Agent, port: number, req: RawRequest): Promise<RawResponse> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (res: RawResponse) => {
      if (settled) return;
      settled = true;
      resolve(res);
    };
    const request = http.request(
      { host: "127.0.0.1", port, agent, method: req.method ?? "POST", path: req.path, headers: req.headers, timeout: req.timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => done({ status: res.statusCode ?? 0, headers: flat(res.headers), trailers: flat(res.trailers), body: Buffer.concat(chunks) }));
        res.on("error", (err: NodeJS.ErrnoException) => done({ status: res.statusCode ?? 0, headers: flat(res.headers), trailers: {}, body: Buffer.concat(chunks), failure: err.code ?? err.message }));
      },
    );
    request.on("timeout", () => {
      request.destroy();
      done({ status: 0, headers: {}, trailers: {}, body: Buffer.alloc(0), failure: "timeout" });
    });
    request.on("error", (err: NodeJS.ErrnoException) => done({ status: 0, headers: {}, trailers: {}, body: Buffer.alloc(0), failure: err.code ?? err.message }));
    for (const part of req.body) request.write(part);
    request.end();
  });
}

/** gRPC status code numbers by their canonical names. */
export const GRPC_CODE_NAMES = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
] as const;

export type Protocol = "grpc" | "grpc-web" | "connect" | "connect-stream";

/**
 * What an answer says, as one word: a gRPC code name (from grpc-status, a
 * gRPC-Web trailer frame, a Connect error body or end-stream message), "OK",
 * or "HTTP <status>" when the server answered without an RPC status, or
 * "NO ANSWER (<why>)" when nothing came back.
 */
export function answerCode(protocol: Protocol, res: RawResponse): string {
  if (res.failure !== undefined && res.status === 0) return `NO ANSWER (${res.failure})`;
  switch (protocol) {
    case "grpc": {
      const status = res.trailers["grpc-status"] ?? res.headers["grpc-status"];
      if (status === undefined) return `HTTP ${res.status}`;
      return GRPC_CODE_NAMES[Number(status)] ?? `grpc-status ${status}`;
    }
    case "grpc-web": {
      const status = res.headers["grpc-status"] ?? grpcWebTrailerStatus(res.body);
      if (status === undefined) return `HTTP ${res.status}`;
      return GRPC_CODE_NAMES[Number(status)] ?? `grpc-status ${status}`;
    }
    case "connect": {
      if (res.status === 200) return "OK";
      const code = jsonCode(res.body);
      return code ?? `HTTP ${res.status}`;
    }
    case "connect-stream": {
      if (res.status !== 200) return jsonCode(res.body) ?? `HTTP ${res.status}`;
      const end = lastEnvelope(res.body, 0x02);
      if (end === undefined) return "NO END-STREAM MESSAGE";
      const parsed = parseJson(end) as { error?: { code?: string } } | undefined;
      return parsed?.error?.code === undefined ? "OK" : parsed.error.code.toUpperCase();
    }
  }
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch {
    return undefined;
  }
}

function jsonCode(body: Buffer): string | undefined {
  const parsed = parseJson(body) as { code?: unknown } | undefined;
  return typeof parsed?.code === "string" ? parsed.code.toUpperCase() : undefined;
}

/** The payload of the last enveloped message whose flags include `flag`. */
function lastEnvelope(body: Buffer, flag: number): Buffer | undefined {
  let found: Buffer | undefined;
  for (let at = 0; at + 5 <= body.length; ) {
    const length = body.readUInt32BE(at + 1);
    if ((body[at]! & flag) === flag) found = body.subarray(at + 5, at + 5 + length);
    at += 5 + length;
  }
  return found;
}

function grpcWebTrailerStatus(body: Buffer): string | undefined {
  const trailer = lastEnvelope(body, 0x80);
  return trailer === undefined ? undefined : /grpc-status:\s*(\d+)/i.exec(trailer.toString("latin1"))?.[1];
}

/** A gRPC / gRPC-Web / Connect envelope: flags, big-endian length, payload. */
export function envelope(payload: Uint8Array, flags = 0, length = payload.length): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(length >>> 0, 1);
  return Buffer.concat([head, payload]);
}
