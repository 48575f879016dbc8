// A server may answer before it has read the whole request: a message over
// READ_MAX_BYTES, a call refused at the gate. On HTTP/2 the unread rest of the
// body then holds the flow-control windows shut, the client can never finish
// sending, and the stream never closes: each such call keeps one of the
// connection's SETTINGS_MAX_CONCURRENT_STREAMS until the connection refuses every
// new stream with ENHANCE_YOUR_CALM. RFC 9113 §8.1 gives the cure, which grpc-go
// applies: after a complete response, RST_STREAM with NO_ERROR.
// The reset must wait until the response's END_STREAM is on the wire: nghttp2
// drops frames still queued for a stream once a reset is submitted for it, and
// the client would lose the trailers that carry the status.
import type * as http from "node:http";
import * as http2 from "node:http2";

type Handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;

/** Give up waiting for the response to leave after this long (a client that reads nothing). */
const SEND_WAIT_MS = 5_000;

export function closeUnreadRequests<H extends Handler>(handler: H): H {
  return ((req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
    // HTTP/1.1 needs nothing: node reads and discards what is left of a body.
    if (req instanceof http2.Http2ServerRequest && res instanceof http2.Http2ServerResponse) {
      const stream = res.stream;
      stream.once("finish", () => {
        if (!req.complete) resetOnceSent(stream, Date.now() + SEND_WAIT_MS);
      });
    }
    handler(req, res);
  }) as H;
}

/**
 * For a stream answered before its request body was read to its end (the
 * fast path does this itself): resets it once the answer is out, as
 * closeUnreadRequests does for the calls Node hands over as requests.
 */
export function closeWhenAnswered(stream: http2.ServerHttp2Stream): void {
  const arm = () => {
    if (!stream.readableEnded) resetOnceSent(stream, Date.now() + SEND_WAIT_MS);
  };
  if (stream.writableFinished) arm();
  else stream.once("finish", arm);
}

function resetOnceSent(stream: http2.ServerHttp2Stream, giveUpAt: number): void {
  if (stream.destroyed) return;
  // localClose: the END_STREAM flag (last DATA frame or trailers) has been sent.
  if (stream.closed || stream.state.localClose === 1 || Date.now() > giveUpAt) {
    if (!stream.closed) stream.close(http2.constants.NGHTTP2_NO_ERROR);
    // A closed stream whose body was partly read stays in the session until that
    // body is read to its end; nothing will read it, so let it go now.
    stream.destroy();
    return;
  }
  setTimeout(() => resetOnceSent(stream, giveUpAt), 1).unref();
}
