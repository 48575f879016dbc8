// An h2c proxy in front of one server that answers UNIMPLEMENTED to
// grpc.reflection.v1 and passes everything else through: a server as an older
// gRPC stack would be, so grpcurl must fall back to reflection v1alpha — and
// the server's v1alpha answers are what grpcurl then uses. It counts the
// requests it saw per path, to show the fallback happened.
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";

const BLOCKED_PREFIX = "/grpc.reflection.v1.ServerReflection/";

export interface V1BlockingProxy {
  readonly port: number;
  /** Requests seen, by :path. */
  readonly seen: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

export async function startV1BlockingProxy(targetPort: number): Promise<V1BlockingProxy> {
  const upstream = http2.connect(`http://127.0.0.1:${targetPort}`);
  upstream.on("error", () => undefined);
  const seen = new Map<string, number>();
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s) => {
    sessions.add(s);
    s.once("close", () => sessions.delete(s));
  });
  server.on("stream", (stream, headers) => {
    const path = String(headers[":path"]);
    seen.set(path, (seen.get(path) ?? 0) + 1);
    stream.on("error", () => undefined);
    if (path.startsWith(BLOCKED_PREFIX)) {
      // A trailers-only gRPC answer, as a server without the service gives.
      stream.respond(
        { ":status": 200, "content-type": "application/grpc", "grpc-status": "12", "grpc-message": "reflection v1 blocked by the e2e proxy" },
        { endStream: true },
      );
      return;
    }
    const forwarded: http2.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(headers)) {
      if (name === ":scheme" || name === ":authority") continue;
      forwarded[name] = value;
    }
    const request = upstream.request(forwarded);
    request.on("error", () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
    stream.pipe(request);
    let trailers: http2.IncomingHttpHeaders = {};
    request.on("trailers", (t) => (trailers = t));
    request.on("response", (responseHeaders, flags) => {
      const endStream = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
      if (endStream) {
        stream.respond(responseHeaders, { endStream: true });
        return;
      }
      stream.respond(responseHeaders, { waitForTrailers: true });
      stream.on("wantTrailers", () => {
        const out: http2.OutgoingHttpHeaders = {};
        for (const [name, value] of Object.entries(trailers)) if (!name.startsWith(":")) out[name] = value;
        stream.sendTrailers(out);
      });
      request.pipe(stream);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise((resolve) => {
        for (const s of sessions) s.destroy();
        upstream.destroy();
        server.close(() => resolve());
      }),
  };
}
