// Authentication settings from the environment: how bearer JWTs are verified
// and which calls need one. Auth is off when neither a secret nor a JWKS URL is set.
import type { EnvReader } from "./config.js";

/** Scope a token needs for methods with side effects. */
export const WRITE_SCOPE = "mesh:write";
/** Scope a token needs for reads when reads require authentication. */
export const READ_SCOPE = "mesh:read";

/** Shortest HS256 secret accepted: 32 bytes, the size of the hash (RFC 7518 section 3.2). */
export const MIN_SECRET_BYTES = 32;

/** Issuer and audience of the mesh's own HS256 tokens when AUTH_ISSUER / AUTH_AUDIENCE are unset. */
export const DEFAULT_ISSUER = "grpc-mesh";
export const DEFAULT_AUDIENCE = "grpc-mesh";

export type AuthKeySource =
  | { readonly kind: "secret"; readonly secret: string }
  | { readonly kind: "jwks"; readonly url: string };

export interface AuthConfig {
  /** How tokens are verified; undefined turns authentication off (every call is let through). */
  readonly keys: AuthKeySource | undefined;
  /** Required "iss" claim (AUTH_ISSUER; default grpc-mesh with a secret, required with a JWKS URL). */
  readonly issuer: string;
  /** Required "aud" claim (AUTH_AUDIENCE; default grpc-mesh with a secret, required with a JWKS URL). */
  readonly audience: string;
  /** Reads (NO_SIDE_EFFECTS methods) need a token with mesh:read too (AUTH_REQUIRE_READS, default false). */
  readonly requireReads: boolean;
  /** Clock skew allowed on exp and nbf (AUTH_CLOCK_TOLERANCE_SECONDS, default 30). */
  readonly clockToleranceSeconds: number;
}

/**
 * AUTH_JWT_SECRET (HS256, at least 32 bytes) or AUTH_JWKS_URL (https, or http
 * on loopback only), never both. With a JWKS URL the keys belong to an outside
 * identity provider that signs tokens for other audiences too, so AUTH_ISSUER
 * and AUTH_AUDIENCE must be set explicitly.
 */
export function readAuthConfig(reader: EnvReader): AuthConfig {
  const secret = reader.string("AUTH_JWT_SECRET");
  const jwksUrl = reader.string("AUTH_JWKS_URL");
  const issuer = reader.string("AUTH_ISSUER");
  const audience = reader.string("AUTH_AUDIENCE");
  const requireReads = reader.bool("AUTH_REQUIRE_READS", false);
  const clockToleranceSeconds = reader.int("AUTH_CLOCK_TOLERANCE_SECONDS", 30, 0, 300);
  let keys: AuthKeySource | undefined;
  if (secret !== undefined && jwksUrl !== undefined) {
    reader.fail("AUTH_JWKS_URL", "set AUTH_JWT_SECRET or AUTH_JWKS_URL, not both");
  } else if (secret !== undefined) {
    // The value is never echoed: only its length is wrong.
    if (Buffer.byteLength(secret, "utf8") < MIN_SECRET_BYTES) {
      reader.fail("AUTH_JWT_SECRET", `expected at least ${MIN_SECRET_BYTES} bytes (e.g. openssl rand -base64 48)`);
    }
    keys = { kind: "secret", secret };
  } else if (jwksUrl !== undefined) {
    if (!isAcceptableJwksUrl(jwksUrl)) {
      reader.fail("AUTH_JWKS_URL", `expected an https:// URL (http:// only on loopback), got "${jwksUrl}"`);
    }
    if (issuer === undefined) reader.fail("AUTH_ISSUER", "required with AUTH_JWKS_URL");
    if (audience === undefined) reader.fail("AUTH_AUDIENCE", "required with AUTH_JWKS_URL");
    keys = { kind: "jwks", url: jwksUrl };
  } else if (requireReads) {
    reader.fail("AUTH_REQUIRE_READS", "needs AUTH_JWT_SECRET or AUTH_JWKS_URL");
  }
  return Object.freeze({
    keys,
    issuer: issuer ?? DEFAULT_ISSUER,
    audience: audience ?? DEFAULT_AUDIENCE,
    requireReads,
    clockToleranceSeconds,
  });
}

function isAcceptableJwksUrl(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.protocol === "https:") return true;
  // Keys fetched in clear over a network could be replaced in transit.
  return url.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
}
