// PEM files for TLS, read at start and re-read when they change. Polling the
// contents (not fs.watch) also sees Kubernetes Secret updates, which swap a
// symlink rather than write the files. A half-written pair (new certificate,
// old key) fails to build and is retried on the next tick: the last good
// context stays in use meanwhile.
import { createHash, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import * as tls from "node:tls";
import type { Logger } from "./logger.js";

/** Contents of the PEM files, by the role each plays. */
export interface PemContents {
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly ca?: Buffer;
}

export interface PemPaths {
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  readonly ca?: string | undefined;
}

export interface TlsFiles {
  /** The last contents that made a valid secure context. */
  current(): PemContents;
  /** Stops polling. */
  close(): void;
}

export interface TlsFilesOptions {
  readonly paths: PemPaths;
  /** What the files are for, in log lines ("server", "upstream client"). */
  readonly role: string;
  readonly reloadIntervalMs: number;
  readonly logger: Logger;
  /** Called with new valid contents after a change. */
  readonly onReload?: (contents: PemContents) => void;
}

/**
 * Reads the files (synchronously: once, at start) and checks they make a secure
 * context; throws when they do not, so the service fails to start.
 */
export function loadTlsFiles(options: TlsFilesOptions): TlsFiles {
  const { paths, role, logger } = options;
  let current = readAllNow(paths);
  validate(current);
  logger.info({ tls: role, ...describe(current) }, "TLS files loaded");
  let lastSeen = fingerprint(current);
  let failedOn: string | undefined;
  let polling = false;
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    void (async () => {
      try {
        const next = await readAll(paths);
        const print = fingerprint(next);
        if (print === lastSeen) return;
        try {
          validate(next);
        } catch (err) {
          // Logged once per distinct content: a pair mid-update fixes itself on a later tick.
          if (failedOn !== print) logger.warn({ tls: role, reason: (err as Error).message }, "TLS files changed but are not usable yet; keeping the previous ones");
          failedOn = print;
          return;
        }
        current = next;
        lastSeen = print;
        failedOn = undefined;
        options.onReload?.(next);
        logger.info({ tls: role, ...describe(next) }, "TLS files reloaded");
      } catch (err) {
        if (failedOn !== "unreadable") logger.warn({ tls: role, reason: (err as Error).message }, "TLS files unreadable; keeping the previous ones");
        failedOn = "unreadable";
      } finally {
        polling = false;
      }
    })();
  }, options.reloadIntervalMs);
  timer.unref();
  return {
    current: () => current,
    close: () => clearInterval(timer),
  };
}

function readAllNow(paths: PemPaths): PemContents {
  const read = (path: string | undefined) => (path === undefined ? undefined : readFileSync(path));
  const [cert, key, ca] = [read(paths.cert), read(paths.key), read(paths.ca)];
  return { ...(cert && { cert }), ...(key && { key }), ...(ca && { ca }) };
}

async function readAll(paths: PemPaths): Promise<PemContents> {
  const read = (path: string | undefined) => (path === undefined ? undefined : readFile(path));
  const [cert, key, ca] = await Promise.all([read(paths.cert), read(paths.key), read(paths.ca)]);
  return { ...(cert && { cert }), ...(key && { key }), ...(ca && { ca }) };
}

/** Throws when the PEMs are malformed or the key does not match the certificate. */
function validate(contents: PemContents): void {
  tls.createSecureContext({ ...contents });
}

function fingerprint(contents: PemContents): string {
  return [contents.cert, contents.key, contents.ca].map((part) => (part === undefined ? "-" : createHash("sha256").update(part).digest("hex"))).join(":");
}

/** The leaf certificate's subject and expiry, for the log (never the key). */
function describe(contents: PemContents): Record<string, string> {
  if (contents.cert === undefined) return {};
  try {
    const leaf = new X509Certificate(contents.cert);
    return { subject: leaf.subject.replace(/\n/g, ", "), not_after: new Date(leaf.validTo).toISOString() };
  } catch {
    return {};
  }
}
