// Bearer JWT authentication and scope checks, as a server interceptor: methods
// with side effects need mesh:write, reads are open unless configured
// otherwise, health and reflection are always open. A missing or bad token is
// UNAUTHENTICATED, a good token without the scope PERMISSION_DENIED. Nothing
// of a token reaches an error message or a log line.
import { create } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel as Idempotency } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { READ_SCOPE, WRITE_SCOPE, type AuthConfig } from "./auth-config.js";
import { ERROR_DOMAIN } from "./errors.js";
import type { Logger } from "./logger.js";

/** Services every caller may use without a token: probes and tools need them. */
export const OPEN_SERVICES: ReadonlySet<string> = new Set([
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
]);

/** Longer authorization headers are refused before any parsing. */
const MAX_TOKEN_CHARS = 8_192;

/** Asymmetric algorithms accepted from a JWKS (never "none" nor HMAC: the key set is public). */
const JWKS_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

/** Who called, once a token was verified. Undefined on calls that needed none. */
export interface Principal {
  /** The token's "sub" claim, when it has one. */
  readonly subject: string | undefined;
  readonly scopes: ReadonlySet<string>;
}

export const principalKey = createContextKey<Principal | undefined>(undefined, { description: "the verified caller" });

export interface AuthInterceptorOptions {
  readonly config: AuthConfig;
  readonly logger: Logger;
}

/** The scope a method needs, or undefined when it is open. */
export function requiredScope(serviceName: string, idempotency: Idempotency, requireReads: boolean): string | undefined {
  if (OPEN_SERVICES.has(serviceName)) return undefined;
  if (idempotency === Idempotency.NO_SIDE_EFFECTS) return requireReads ? READ_SCOPE : undefined;
  return WRITE_SCOPE;
}

/** The interceptor, or undefined when authentication is off (no secret, no JWKS URL). */
export function createAuthInterceptor(options: AuthInterceptorOptions): Interceptor | undefined {
  const { config, logger } = options;
  if (config.keys === undefined) return undefined;
  const verify = createVerifier(config);
  const keysAreRemote = config.keys.kind === "jwks";
  return (next) => async (req) => {
    const scope = requiredScope(req.service.typeName, req.method.idempotency, config.requireReads);
    if (scope === undefined) return next(req);
    const token = bearerToken(req.header.get("authorization"));
    let payload: JWTPayload;
    try {
      payload = await verify(token);
    } catch (err) {
      throw verificationError(err, keysAreRemote, logger);
    }
    const scopes = scopesOf(payload);
    if (!scopes.has(scope)) {
      throw new ConnectError(`this call needs the scope ${scope}`, Code.PermissionDenied, undefined, [
        errorInfo("MISSING_SCOPE", { scope }),
      ]);
    }
    req.contextValues.set(principalKey, { subject: typeof payload.sub === "string" ? payload.sub : undefined, scopes });
    return next(req);
  };
}

function createVerifier(config: AuthConfig): (token: string) => Promise<JWTPayload> {
  const claims = {
    issuer: config.issuer,
    audience: config.audience,
    clockTolerance: config.clockToleranceSeconds,
    // A token without an expiry would be valid forever.
    requiredClaims: ["exp"],
  };
  const keys = config.keys!;
  if (keys.kind === "secret") {
    const secret = new TextEncoder().encode(keys.secret);
    return async (token) => (await jwtVerify(token, secret, { ...claims, algorithms: ["HS256"] })).payload;
  }
  // Cached, refetched when a token names an unknown key id (at most every 30 s).
  const jwks: JWTVerifyGetKey = createRemoteJWKSet(new URL(keys.url), { timeoutDuration: 2_000 });
  return async (token) => (await jwtVerify(token, jwks, { ...claims, algorithms: JWKS_ALGORITHMS })).payload;
}

/** The token of an "authorization: Bearer <token>" header; UNAUTHENTICATED when absent or malformed. */
function bearerToken(header: string | null): string {
  if (header === null || header.trim() === "") {
    throw unauthenticated("this call needs a bearer token", "TOKEN_MISSING");
  }
  const match = /^Bearer +([A-Za-z0-9\-_.~+/]+=*) *$/i.exec(header);
  if (match === null || header.length > MAX_TOKEN_CHARS) {
    throw unauthenticated("the authorization header is not a bearer token", "TOKEN_MALFORMED");
  }
  return match[1]!;
}

/**
 * A failed verification as the caller sees it. Expired and invalid tokens are
 * the caller's problem (UNAUTHENTICATED); a key set that cannot be fetched is
 * ours (UNAVAILABLE, logged without the token). jose's errors carry the token's
 * claims, so neither they nor their messages go anywhere.
 */
function verificationError(err: unknown, keysAreRemote: boolean, logger: Logger): ConnectError {
  if (err instanceof errors.JWTExpired) return unauthenticated("the token has expired", "TOKEN_EXPIRED");
  const keySetFailure =
    keysAreRemote &&
    (err instanceof errors.JWKSTimeout ||
      err instanceof errors.JWKSInvalid ||
      !(err instanceof errors.JOSEError) ||
      (err as errors.JOSEError).code === "ERR_JOSE_GENERIC");
  if (keySetFailure) {
    const code = err instanceof errors.JOSEError ? err.code : err instanceof Error ? err.name : "unknown";
    logger.warn({ jwks_error: code }, "cannot fetch the JSON Web Key Set: token not verified");
    return new ConnectError("the token cannot be verified now", Code.Unavailable, undefined, [errorInfo("KEYS_UNAVAILABLE")]);
  }
  return unauthenticated("the token is not valid", "TOKEN_INVALID");
}

/** Scopes from "scope" (space-separated, RFC 8693) and "scp" (an array, or a string, as some providers send). */
export function scopesOf(payload: JWTPayload): ReadonlySet<string> {
  const scopes = new Set<string>();
  const add = (value: unknown) => {
    const items: unknown[] = typeof value === "string" ? value.split(" ") : Array.isArray(value) ? value : [];
    for (const s of items) if (typeof s === "string" && s !== "") scopes.add(s);
  };
  add(payload.scope);
  add(payload.scp);
  return scopes;
}

function unauthenticated(message: string, reason: string): ConnectError {
  return new ConnectError(message, Code.Unauthenticated, undefined, [errorInfo(reason)]);
}

function errorInfo(reason: string, metadata: Record<string, string> = {}) {
  return { desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason, domain: ERROR_DOMAIN, metadata }) };
}
