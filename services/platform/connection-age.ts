// A maximum age for HTTP/2 connections: the server closes each one gracefully
// (GOAWAY; open calls finish within the grace) after about maxAgeMs, so
// clients with long-lived connections spread over replicas added since.
import type * as http2 from "node:http2";

export interface ConnectionAgeOptions {
  /** Close connections after about this long; 0 never. Jittered by +-10% so clients do not reconnect in step. */
  readonly maxAgeMs: number;
  /** After GOAWAY, open calls get this long before the connection is cut. */
  readonly graceMs: number;
}

export function limitConnectionAge(server: http2.Http2Server, options: ConnectionAgeOptions): void {
  if (options.maxAgeMs <= 0) return;
  server.on("session", (session) => {
    const age = options.maxAgeMs * (0.9 + 0.2 * Math.random());
    const timer = setTimeout(() => {
      if (session.closed || session.destroyed) return;
      session.close();
      setTimeout(() => session.destroy(), options.graceMs).unref();
    }, age);
    timer.unref();
    session.once("close", () => clearTimeout(timer));
  });
}
