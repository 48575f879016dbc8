// Offers each new HTTP/2 stream to the fast path before Node's compatibility
// layer sees it. A server made with a request handler has one `stream`
// listener of Node's own, which builds an Http2ServerRequest and an
// Http2ServerResponse for every stream and emits `request`; for calls the
// fast path answers from the stream itself those objects are waste.
import type * as http2 from "node:http2";

type StreamListener = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, flags: number, rawHeaders: string[]) => void;

/**
 * Puts `serve` in front of the server's `stream` listeners: a stream it takes
 * (returns true) goes no further; any other goes to the listeners the server
 * had, with the event's arguments. Call once the server has its request handler.
 */
export function serveStreamsFirst(
  server: http2.Http2Server | http2.Http2SecureServer,
  serve: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => boolean,
): void {
  const others = server.listeners("stream") as StreamListener[];
  if (others.length === 0) throw new Error("serveStreamsFirst: the server has no stream listener (no request handler?)");
  server.removeAllListeners("stream");
  server.on("stream", function (this: unknown, stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, flags: number, rawHeaders: string[]) {
    if (serve(stream, headers)) return;
    for (const listener of others) listener.call(this, stream, headers, flags, rawHeaders);
  });
}
