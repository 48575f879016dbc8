// The HTTP/2 listener of the gRPC port: h2c, or TLS when a certificate is
// configured. Under TLS, HTTP/1.1 clients are served on the same port (ALPN
// picks h2 or http/1.1), a client CA turns on mTLS, and the certificate, key
// and CA are reloaded when their files change: new connections get the new
// ones, open connections keep theirs.
import * as http2 from "node:http2";
import type * as tls from "node:tls";
import type { Logger } from "./logger.js";
import type { ServerTlsConfig } from "./tls-config.js";
import { loadTlsFiles, type PemContents, type TlsFiles } from "./tls-files.js";

/** A TLS handshake must finish within this long (Node's default is 120 s). */
const HANDSHAKE_TIMEOUT_MS = 10_000;

export interface GrpcListenerOptions {
  /** Undefined: cleartext HTTP/2 with prior knowledge (h2c). */
  readonly tls: ServerTlsConfig | undefined;
  /** HTTP/2 settings and limits, the same with or without TLS. */
  readonly serverOptions: http2.ServerOptions;
  readonly handler: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;
  readonly logger: Logger;
}

export interface GrpcListener {
  readonly server: http2.Http2Server | http2.Http2SecureServer;
  /** TLS on the port; mTLS when clients must present a certificate. */
  readonly security: "h2c" | "tls" | "mtls";
  /** Closes idle HTTP/1.1-over-TLS keep-alive connections (stop: no new requests on them). */
  closeIdleHttp1Connections(): void;
  /** Cuts HTTP/1.1-over-TLS connections still open (HTTP/2 sessions are tracked by the server). */
  destroyHttp1Connections(): void;
  /** Stops watching the TLS files. */
  close(): void;
}

export function createGrpcListener(options: GrpcListenerOptions): GrpcListener {
  const { tls: tlsConfig, serverOptions, handler, logger } = options;
  if (tlsConfig === undefined) {
    return { server: http2.createServer(serverOptions, handler), security: "h2c", closeIdleHttp1Connections() {}, destroyHttp1Connections() {}, close() {} };
  }
  const mtls = tlsConfig.clientCaFile !== undefined;
  let server: http2.Http2SecureServer | undefined;
  const files: TlsFiles = loadTlsFiles({
    paths: { cert: tlsConfig.certFile, key: tlsConfig.keyFile, ca: tlsConfig.clientCaFile },
    role: "server",
    reloadIntervalMs: tlsConfig.reloadIntervalMs,
    logger,
    onReload: (contents) => server?.setSecureContext(secureContextOptions(contents)),
  });
  server = http2.createSecureServer(
    {
      ...serverOptions,
      ...secureContextOptions(files.current()),
      allowHTTP1: true,
      minVersion: "TLSv1.2",
      requestCert: mtls,
      rejectUnauthorized: mtls,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    },
    handler,
  );
  const http1Sockets = new Set<tls.TLSSocket>();
  server.on("secureConnection", (socket: tls.TLSSocket) => {
    if (socket.alpnProtocol === "h2") return;
    http1Sockets.add(socket);
    socket.once("close", () => http1Sockets.delete(socket));
  });
  // Failed handshakes (no client certificate, an untrusted one) are the client's
  // problem: counted at debug level, never thrown.
  server.on("tlsClientError", (err: Error & { code?: string }) => logger.debug({ reason: err.code ?? err.message }, "TLS handshake failed"));
  return {
    server,
    security: mtls ? "mtls" : "tls",
    closeIdleHttp1Connections() {
      // Node's HTTP/2 server with allowHTTP1 has this at run time (not in @types/node).
      (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
    },
    destroyHttp1Connections() {
      for (const socket of http1Sockets) socket.destroy();
    },
    close: () => files.close(),
  };
}

function secureContextOptions(contents: PemContents): tls.SecureContextOptions {
  return { cert: contents.cert, key: contents.key, ...(contents.ca === undefined ? {} : { ca: contents.ca }) };
}
