// The one error model: intended failures are ConnectErrors with a real code and
// google.rpc details; database errors map to codes here; anything else is
// masked as INTERNAL by the error interceptor and logged there with its cause.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { NoResultError } from "kysely";
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";

/** google.rpc.ErrorInfo domain of every error this mesh raises. */
export const ERROR_DOMAIN = "mesh.grpc-mesh.dev";

export interface FieldViolation {
  /** Path of the field in the request, e.g. "user.email". */
  readonly field: string;
  readonly description: string;
}

function errorInfo(reason: string, metadata: Record<string, string> = {}) {
  return { desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason, domain: ERROR_DOMAIN, metadata }) };
}

export function invalidArgument(violations: readonly FieldViolation[]): ConnectError {
  const summary = violations.map((v) => `${v.field}: ${v.description}`).join("; ");
  return new ConnectError(summary || "invalid argument", Code.InvalidArgument, undefined, [
    { desc: BadRequestSchema, value: create(BadRequestSchema, { fieldViolations: violations.map((v) => ({ ...v })) }) },
    errorInfo("INVALID_ARGUMENT"),
  ]);
}

export function notFound(resource: string, id: string): ConnectError {
  return new ConnectError(`${resource} ${id} not found`, Code.NotFound, undefined, [
    errorInfo(`${resource.toUpperCase()}_NOT_FOUND`, { id }),
  ]);
}

export function alreadyExists(resource: string, field: string, value: string): ConnectError {
  return new ConnectError(`a ${resource} with this ${field} already exists`, Code.AlreadyExists, undefined, [
    errorInfo(`${resource.toUpperCase()}_ALREADY_EXISTS`, { [field]: value }),
  ]);
}

export function failedPrecondition(reason: string, message: string, metadata?: Record<string, string>): ConnectError {
  return new ConnectError(message, Code.FailedPrecondition, undefined, [errorInfo(reason, metadata)]);
}

/** Node's codes for a connection that could not be made or was lost: to PostgreSQL, or to a peer. */
const CONNECTION_ERROR_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH"]);

/** True for an error (or cause) carrying one of Node's connection error codes. */
export function hasConnectionErrorCode(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && CONNECTION_ERROR_CODES.has(code);
}

/** PostgreSQL SQLSTATE codes and driver failures that have a meaning for clients. */
function isConnectionFailure(err: Error & { code?: unknown }): boolean {
  const code = typeof err.code === "string" ? err.code : "";
  if (hasConnectionErrorCode(err)) return true;
  // 08xxx: connection exceptions; 57P0x: server shutting down; 53300: too many connections.
  if (/^(08...|57P0.|53300)$/.test(code)) return true;
  // node-postgres raises plain Errors for these.
  return /timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error/i.test(
    err.message,
  );
}

/**
 * Maps a database error to the ConnectError a client should see, or returns
 * undefined when the error is not one clients may learn about.
 */
export function databaseErrorToConnectError(err: unknown): ConnectError | undefined {
  if (err instanceof NoResultError) return new ConnectError("not found", Code.NotFound);
  if (!(err instanceof Error)) return undefined;
  const e = err as Error & { code?: unknown; constraint?: unknown };
  switch (e.code) {
    case "23505":
      return new ConnectError("already exists", Code.AlreadyExists, undefined, [
        errorInfo("ALREADY_EXISTS", typeof e.constraint === "string" ? { constraint: e.constraint } : {}),
      ]);
    case "23503":
      return new ConnectError("a referenced record does not exist or is still referenced", Code.FailedPrecondition, undefined, [
        errorInfo("REFERENCE_VIOLATION"),
      ]);
    case "22P02":
    case "22003":
    case "22021":
      return new ConnectError("a value is malformed or out of range", Code.InvalidArgument);
    case "57014":
      return new ConnectError("the database query took too long", Code.DeadlineExceeded);
    case "40001":
    case "40P01":
      return new ConnectError("the transaction conflicted with another; retry", Code.Aborted);
  }
  if (isConnectionFailure(e)) return new ConnectError("the database is unavailable", Code.Unavailable);
  return undefined;
}
