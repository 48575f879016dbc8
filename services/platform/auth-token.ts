// HS256 tokens signed with the mesh's shared secret: the development token of
// `npm start`, scripts/dev-token.ts, and tests. Production tokens come from an
// identity provider (AUTH_JWKS_URL) or a service that holds the secret.
import { randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER, READ_SCOPE, WRITE_SCOPE } from "./auth-config.js";

export interface TokenOptions {
  /** The HS256 secret (AUTH_JWT_SECRET). */
  readonly secret: string;
  /** Space-separated into the "scope" claim. Default mesh:read mesh:write. */
  readonly scopes?: readonly string[];
  /** Default grpc-mesh. */
  readonly issuer?: string;
  /** Default grpc-mesh. */
  readonly audience?: string;
  /** Default "developer". */
  readonly subject?: string;
  /** Lifetime; default 12 hours. Negative values make an already expired token (tests). */
  readonly expiresInSeconds?: number;
}

export async function signToken(options: TokenOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const lifetime = options.expiresInSeconds ?? 12 * 3600;
  return new SignJWT({ scope: (options.scopes ?? [READ_SCOPE, WRITE_SCOPE]).join(" ") })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(options.issuer ?? DEFAULT_ISSUER)
    .setAudience(options.audience ?? DEFAULT_AUDIENCE)
    .setSubject(options.subject ?? "developer")
    .setIssuedAt(Math.min(now, now + lifetime))
    .setExpirationTime(now + lifetime)
    .sign(new TextEncoder().encode(options.secret));
}

/** A random secret for a local mesh: 48 bytes, base64url. */
export function randomSecret(): string {
  return randomBytes(48).toString("base64url");
}
