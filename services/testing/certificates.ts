// Test certificates made with openssl in a temporary folder: a CA, and server
// or client certificates it signs (EC P-256, valid two days). Nothing here is
// committed; each test makes its own and removes the folder.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface KeyPair {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface CertificateOptions {
  /** subjectAltName entries, e.g. ["DNS:localhost", "IP:127.0.0.1"]. */
  readonly altNames?: readonly string[];
  /** extendedKeyUsage: serverAuth or clientAuth. */
  readonly usage: "server" | "client";
}

export interface TestPki {
  readonly dir: string;
  /** A new self-signed CA named `name`. */
  createCa(name: string): KeyPair;
  /** A certificate for `name` signed by `ca`. */
  issue(ca: KeyPair, name: string, options: CertificateOptions): KeyPair;
  remove(): void;
}

const openssl = (args: readonly string[], cwd: string) => execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });

export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "mesh-pki-"));
  const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  return {
    dir,
    createCa(name) {
      const pair = { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
      openssl(
        [
          "req", "-x509", ...newKey, "-keyout", pair.keyFile, "-out", pair.certFile, "-days", "2", "-subj", `/CN=${name}`,
          "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ],
        dir,
      );
      return pair;
    },
    issue(ca, name, options) {
      const pair = { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
      const csr = join(dir, `${name}.csr`);
      const ext = join(dir, `${name}.ext`);
      const lines = [
        "basicConstraints=CA:FALSE",
        "keyUsage=critical,digitalSignature",
        `extendedKeyUsage=${options.usage === "server" ? "serverAuth" : "clientAuth"}`,
        ...(options.altNames === undefined || options.altNames.length === 0 ? [] : [`subjectAltName=${options.altNames.join(",")}`]),
      ];
      writeFileSync(ext, lines.join("\n") + "\n");
      openssl(["req", ...newKey, "-keyout", pair.keyFile, "-out", csr, "-subj", `/CN=${name}`], dir);
      openssl(
        ["x509", "-req", "-in", csr, "-CA", ca.certFile, "-CAkey", ca.keyFile, "-set_serial", `0x${randomSerial()}`, "-days", "2", "-extfile", ext, "-out", pair.certFile],
        dir,
      );
      return pair;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A random positive serial: each issued certificate differs, so a reload is visible. */
function randomSerial(): string {
  return `1${randomBytes(8).toString("hex")}`;
}
