// How failures leave the CLI: usage errors, and RPC failures named by their
// gRPC code (NOT_FOUND, not Connect's NotFound) with their field violations.
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema } from "../gen/google/rpc/error_details_pb.js";

/** Exit codes; documented in docs/cli.md. */
export const EXIT = {
  OK: 0,
  /** A call failed, or `mesh health` found a service not SERVING. */
  FAILURE: 1,
  /** Bad command line: unknown command or option, missing or malformed argument. */
  USAGE: 2,
  /** Interrupted by Ctrl-C (128 + SIGINT), except for `beers watch`, which ends normally. */
  INTERRUPTED: 130,
} as const;

/** A bad command line. `command` names the command whose help to point at. */
export class UsageError extends Error {
  readonly command: string;

  constructor(message: string, command = "") {
    super(message);
    this.name = "UsageError";
    this.command = command;
  }
}

// The canonical gRPC spellings, which is what operators search logs for.
const CODE_NAMES: Readonly<Record<Code, string>> = {
  [Code.Canceled]: "CANCELLED",
  [Code.Unknown]: "UNKNOWN",
  [Code.InvalidArgument]: "INVALID_ARGUMENT",
  [Code.DeadlineExceeded]: "DEADLINE_EXCEEDED",
  [Code.NotFound]: "NOT_FOUND",
  [Code.AlreadyExists]: "ALREADY_EXISTS",
  [Code.PermissionDenied]: "PERMISSION_DENIED",
  [Code.ResourceExhausted]: "RESOURCE_EXHAUSTED",
  [Code.FailedPrecondition]: "FAILED_PRECONDITION",
  [Code.Aborted]: "ABORTED",
  [Code.OutOfRange]: "OUT_OF_RANGE",
  [Code.Unimplemented]: "UNIMPLEMENTED",
  [Code.Internal]: "INTERNAL",
  [Code.Unavailable]: "UNAVAILABLE",
  [Code.DataLoss]: "DATA_LOSS",
  [Code.Unauthenticated]: "UNAUTHENTICATED",
};

export function codeName(code: Code): string {
  return CODE_NAMES[code] ?? `CODE_${code}`;
}

/** What a failed call reports, in text or as JSON on stderr. */
export interface ErrorReport {
  readonly code: string;
  readonly message: string;
  readonly fieldViolations: ReadonlyArray<{ field: string; description: string }>;
  /** google.rpc.ErrorInfo reason, when the server sent one. */
  readonly reason?: string;
}

export function errorReport(err: unknown): ErrorReport {
  if (!(err instanceof ConnectError)) {
    // Not an RPC failure: a bug or a local problem; say what it was.
    return { code: "UNKNOWN", message: err instanceof Error ? err.message : String(err), fieldViolations: [] };
  }
  const violations = err.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations);
  const reason = err.findDetails(ErrorInfoSchema)[0]?.reason;
  return {
    code: codeName(err.code),
    message: err.rawMessage,
    fieldViolations: violations.map((v) => ({ field: v.field, description: v.description })),
    ...(reason ? { reason } : {}),
  };
}

/** `mesh: NOT_FOUND: beer 0190... not found`, then one line per field violation. */
export function formatErrorReport(report: ErrorReport): string {
  const lines = [`mesh: ${report.code}: ${report.message}`];
  for (const v of report.fieldViolations) lines.push(`  ${v.field}: ${v.description}`);
  if (report.code === "UNAUTHENTICATED") lines.push("  pass a bearer token with --token or MESH_TOKEN (npm start prints a development token)");
  return lines.join("\n") + "\n";
}
