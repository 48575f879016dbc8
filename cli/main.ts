// The mesh CLI: `run` parses a command line and runs it against injected
// streams and environment (tests call it in-process); `main` binds it to the
// process, its environment and Ctrl-C.
import { Code, ConnectError } from "@connectrpc/connect";
import { parseCommandLine, type CommandLine } from "./args.js";
import type { CommandContext } from "./command.js";
import { COMMANDS } from "./commands/index.js";
import { openConnections } from "./connections.js";
import { errorReport, EXIT, formatErrorReport, UsageError } from "./errors.js";
import { helpFor } from "./help.js";
import type { Writer } from "./output.js";
import { resolveAddresses } from "./services.js";

export interface CliIo {
  readonly stdout: Writer;
  readonly stderr: Writer;
  /** Where service addresses (USER_SERVICE_ADDR, ...) and the token (MESH_TOKEN) come from when no flag gives them. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborts running calls (Ctrl-C); `beers watch` ends normally on it. */
  readonly signal?: AbortSignal;
}

function usageFailure(io: CliIo, err: UsageError, json: boolean): number {
  if (json) {
    io.stderr.write(JSON.stringify({ code: "USAGE", message: err.message, fieldViolations: [] }) + "\n");
  } else {
    const help = err.command === "" ? "mesh --help" : `mesh ${err.command} --help`;
    io.stderr.write(`mesh: ${err.message}\nRun '${help}' for usage.\n`);
  }
  return EXIT.USAGE;
}

async function runCommand(parsed: CommandLine, io: CliIo): Promise<number> {
  const { spec, input, globals, timeoutMs } = parsed;
  const json = globals.json === true;
  const signal = io.signal ?? new AbortController().signal;
  const token = typeof globals.token === "string" ? globals.token.trim() : io.env.MESH_TOKEN?.trim();
  const connections = openConnections(resolveAddresses(globals, io.env), { token: token === "" ? undefined : token });
  const ctx: CommandContext = {
    connections,
    stdout: io.stdout,
    stderr: io.stderr,
    json,
    signal,
    callOptions: () => ({ timeoutMs, signal }),
  };
  try {
    return await spec.run(ctx, input);
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(io, err, json);
    if (signal.aborted && err instanceof ConnectError && err.code === Code.Canceled) return EXIT.INTERRUPTED;
    const report = errorReport(err);
    io.stderr.write(json ? JSON.stringify(report) + "\n" : formatErrorReport(report));
    return EXIT.FAILURE;
  } finally {
    connections.close();
  }
}

/** Runs one command line; returns the exit code. Never throws for bad input or failed calls. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(argv, COMMANDS);
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(io, err, argv.includes("--json"));
    throw err;
  }
  if (parsed.kind === "help") {
    io.stdout.write(helpFor(parsed.topic, COMMANDS));
    return EXIT.OK;
  }
  return runCommand(parsed, io);
}

/** The process entry point (bin/mesh.js): real streams, the environment, Ctrl-C, and the exit code. */
export async function main(): Promise<void> {
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  // Once: a second Ctrl-C gets Node's default and ends the process at once.
  process.once("SIGINT", interrupt);
  // `mesh beers watch | head` closes the pipe: stop as if interrupted rather than crash.
  process.stdout.on("error", interrupt);
  try {
    const io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: controller.signal };
    process.exitCode = await run(process.argv.slice(2), io);
  } finally {
    process.off("SIGINT", interrupt);
  }
}
