// Requests the server cannot decode are the caller's mistake: INVALID_ARGUMENT,
// never INTERNAL, and they must always get an answer. Connect-ES falls short in
// three ways, each found by the malformed-request suite
// (services/faults/malformed.test.ts):
// - it codes some decoding failures INTERNAL, because that code is shared with
//   its clients, where an undecodable *response* is the server's fault: protobuf
//   that does not parse ("parse binary: ..."), a compressed frame without
//   grpc-encoding, gzip or brotli that ends early, a Connect GET whose base64 is
//   not base64. connect-go answers INVALID_ARGUMENT; so do we;
// - an error message quoting the request (a JSON string with a lone surrogate,
//   "\ud800") makes its gRPC and gRPC-Web error writer throw URIError from
//   encodeURIComponent: the status is never written and the stream hangs.
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { Compression } from "@connectrpc/connect/protocol";
import { onCallEnd } from "./call-end.js";

/** Messages of errors Connect raises while reading a request, which it codes INTERNAL. */
const DECODE_FAILURES = ["parse binary:", "received compressed envelope, but do not know how to decompress"];

/**
 * Called from the request gate, before the body is read. Connect aborts the
 * handler context with an error just before it writes that error to the
 * client (every protocol does so; the fast path ends its call the same way),
 * so a listener on the call's end corrects the code in time.
 */
export function correctDecodeErrors(context: HandlerContext): void {
  rejectUndecodableQuery(context);
  onCallEnd(context, correctError);
}

function correctError(reason: unknown): void {
  if (!(reason instanceof ConnectError) || reason.isWireError) return;
  // The error object is the one Connect (or the fast path) is about to write.
  const error = reason as { code: Code; rawMessage: string; message: string };
  error.rawMessage = error.rawMessage.replace(LONE_SURROGATE, "\ufffd");
  if (error.code === Code.Internal && DECODE_FAILURES.some((prefix) => error.rawMessage.startsWith(prefix))) {
    error.code = Code.InvalidArgument;
    error.message = `[invalid_argument] ${error.rawMessage}`;
  }
}

/** A UTF-16 surrogate without its other half (String.prototype.toWellFormed is ES2024). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Characters protobuf-es's base64 decoder accepts (both alphabets, padding, white space). */
const BASE64 = /^[A-Za-z0-9+/\-_=\s]*$/;

/** A Connect GET with base64=1 must carry base64: the decoder's own error would be coded INTERNAL. */
function rejectUndecodableQuery(context: HandlerContext): void {
  if (context.requestMethod !== "GET" || context.protocolName !== "connect") return;
  const query = new URL(context.url).searchParams;
  if (query.get("base64") === "1" && !BASE64.test(query.get("message") ?? "")) {
    throw new ConnectError("the message query parameter is not base64", Code.InvalidArgument);
  }
}

/**
 * A request decompressor that codes every failure but a too-large result
 * INVALID_ARGUMENT (connect-node codes a truncated stream INTERNAL).
 */
export function requestDecompressionErrorsInvalid(compression: Compression): Compression {
  return {
    name: compression.name,
    compress: (bytes) => compression.compress(bytes),
    async decompress(bytes, readMaxBytes) {
      try {
        return await compression.decompress(bytes, readMaxBytes);
      } catch (err) {
        const e = ConnectError.from(err);
        if (e.code !== Code.Internal) throw e;
        throw new ConnectError(e.rawMessage, Code.InvalidArgument, undefined, undefined, err);
      }
    },
  };
}
