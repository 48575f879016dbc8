// TLS settings from the environment: the server's certificate (and client CA
// for mTLS), and what a service presents and trusts when it calls its peers.
// Both are optional; the files are read (and re-read when they change) by tls-files.ts.
import type { EnvReader } from "./config.js";

export interface ServerTlsConfig {
  /** PEM certificate chain served on the gRPC port (TLS_CERT_FILE). */
  readonly certFile: string;
  /** PEM private key of the certificate (TLS_KEY_FILE). */
  readonly keyFile: string;
  /** PEM CA bundle that client certificates must chain to (TLS_CLIENT_CA_FILE); set: mTLS, clients without one are refused. */
  readonly clientCaFile: string | undefined;
  /** How often the files are checked for changes (TLS_RELOAD_INTERVAL_MS, default 10000). */
  readonly reloadIntervalMs: number;
}

export interface ClientTlsConfig {
  /** PEM CA bundle trusted for peers' certificates (UPSTREAM_TLS_CA_FILE); unset: the system's CAs. */
  readonly caFile: string | undefined;
  /** PEM client certificate presented to peers that require mTLS (UPSTREAM_TLS_CERT_FILE). */
  readonly certFile: string | undefined;
  /** PEM private key of the client certificate (UPSTREAM_TLS_KEY_FILE). */
  readonly keyFile: string | undefined;
  /**
   * Name the peers' certificates are checked against (UPSTREAM_TLS_SERVER_NAME). Unset: the host of
   * each upstream's target (e.g. point-headless.mesh.svc.cluster.local for a dns:/// target, whose
   * replicas are dialled by IP address).
   */
  readonly serverName: string | undefined;
  readonly reloadIntervalMs: number;
}

export interface TlsConfig {
  /** Undefined: the gRPC port serves cleartext HTTP/2 (h2c). */
  readonly server: ServerTlsConfig | undefined;
  /** Undefined: calls to peers go in cleartext. */
  readonly upstream: ClientTlsConfig | undefined;
}

export function readTlsConfig(reader: EnvReader): TlsConfig {
  const reloadIntervalMs = reader.int("TLS_RELOAD_INTERVAL_MS", 10_000, 100, 3_600_000);
  return Object.freeze({ server: readServerTlsConfig(reader, reloadIntervalMs), upstream: readClientTlsConfig(reader, reloadIntervalMs) });
}

function readServerTlsConfig(reader: EnvReader, reloadIntervalMs: number): ServerTlsConfig | undefined {
  const certFile = reader.string("TLS_CERT_FILE");
  const keyFile = reader.string("TLS_KEY_FILE");
  const clientCaFile = reader.string("TLS_CLIENT_CA_FILE");
  if (certFile === undefined && keyFile === undefined) {
    if (clientCaFile !== undefined) reader.fail("TLS_CLIENT_CA_FILE", "needs TLS_CERT_FILE and TLS_KEY_FILE (mTLS runs over TLS)");
    return undefined;
  }
  if (certFile === undefined) reader.fail("TLS_CERT_FILE", "required with TLS_KEY_FILE");
  if (keyFile === undefined) reader.fail("TLS_KEY_FILE", "required with TLS_CERT_FILE");
  return Object.freeze({ certFile: certFile ?? "", keyFile: keyFile ?? "", clientCaFile, reloadIntervalMs });
}

/**
 * Client TLS for calls to peers: on when UPSTREAM_TLS is true, or when any
 * UPSTREAM_TLS_*_FILE is set (UPSTREAM_TLS=false with files set is an error).
 */
function readClientTlsConfig(reader: EnvReader, reloadIntervalMs: number): ClientTlsConfig | undefined {
  const caFile = reader.string("UPSTREAM_TLS_CA_FILE");
  const certFile = reader.string("UPSTREAM_TLS_CERT_FILE");
  const keyFile = reader.string("UPSTREAM_TLS_KEY_FILE");
  const serverName = reader.string("UPSTREAM_TLS_SERVER_NAME");
  const anyFile = caFile !== undefined || certFile !== undefined || keyFile !== undefined;
  const enabled = reader.bool("UPSTREAM_TLS", anyFile);
  if (!enabled) {
    if (anyFile) reader.fail("UPSTREAM_TLS", "is false but UPSTREAM_TLS_* files are set");
    return undefined;
  }
  if (certFile !== undefined && keyFile === undefined) reader.fail("UPSTREAM_TLS_KEY_FILE", "required with UPSTREAM_TLS_CERT_FILE");
  if (keyFile !== undefined && certFile === undefined) reader.fail("UPSTREAM_TLS_CERT_FILE", "required with UPSTREAM_TLS_KEY_FILE");
  return Object.freeze({ caFile, certFile, keyFile, serverName, reloadIntervalMs });
}
