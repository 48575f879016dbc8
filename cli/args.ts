// Command-line parsing with node:util parseArgs, in two passes: the first, with
// every command's options, finds the command words wherever the options sit;
// the second, with only that command's options, rejects the options it lacks.
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { CommandInput, parseInteger, type CommandSpec, type OptionSpec, type OptionValues } from "./command.js";
import { UsageError } from "./errors.js";
import { MESH_SERVICES, MESH_SERVICE_NAMES } from "./services.js";

export const DEFAULT_TIMEOUT_MS = 5000;

/** Options every command takes. */
export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  json: { type: "boolean", description: "print proto3 JSON instead of tables (errors too, on stderr)" },
  timeout: { type: "string", value: "MS", description: `deadline of each call in milliseconds (default ${DEFAULT_TIMEOUT_MS})` },
  token: { type: "string", value: "JWT", description: "bearer token sent as authorization on every call (env MESH_TOKEN); writes need mesh:write" },
  ...Object.fromEntries(
    MESH_SERVICE_NAMES.map((name) => {
      const { flag, env, defaultAddr } = MESH_SERVICES[name];
      const description = `${name} service address (env ${env}, default ${defaultAddr})`;
      const spec: OptionSpec = { type: "string", value: "HOST:PORT", description };
      return [flag, spec];
    }),
  ),
  help: { type: "boolean", short: "h", description: "show help" },
};

export interface CommandLine {
  readonly kind: "command";
  readonly spec: CommandSpec;
  readonly input: CommandInput;
  /** Values of the global options (addresses, --json). */
  readonly globals: OptionValues;
  readonly timeoutMs: number;
}

export type ParsedCommandLine = { readonly kind: "help"; readonly topic: readonly string[] } | CommandLine;

// A negative number ("points add <user> -5") would read as a short option;
// it is shielded by a prefix for the parse and unshielded afterwards.
const SHIELD = "\u0000";
const NEGATIVE_NUMBER = /^-\d+(\.\d+)?$/;

function shield(argv: readonly string[]): string[] {
  const end = argv.indexOf("--");
  return argv.map((arg, i) => ((end === -1 || i < end) && NEGATIVE_NUMBER.test(arg) ? SHIELD + arg : arg));
}

function unshield<T>(value: T): T {
  return (typeof value === "string" && value.startsWith(SHIELD) ? value.slice(SHIELD.length) : value) as T;
}

function config(specs: Readonly<Record<string, OptionSpec>>): ParseArgsOptionsConfig {
  return Object.fromEntries(
    Object.entries(specs).map(([name, s]) => [name, s.short === undefined ? { type: s.type } : { type: s.type, short: s.short }]),
  );
}

function parse(args: string[], options: Readonly<Record<string, OptionSpec>>, command: string) {
  try {
    return parseArgs({ args, options: config(options), allowPositionals: true, strict: true });
  } catch (err) {
    // parseArgs names the bad option and suggests the fix; keep its words.
    throw new UsageError(err instanceof Error ? err.message : String(err), command);
  }
}

/** Every option of every command plus the global ones; names must agree on their type. */
export function allOptions(commands: readonly CommandSpec[]): Record<string, OptionSpec> {
  const all: Record<string, OptionSpec> = { ...GLOBAL_OPTIONS };
  for (const c of commands) Object.assign(all, c.options);
  return all;
}

export function parseCommandLine(argv: readonly string[], commands: readonly CommandSpec[]): ParsedCommandLine {
  const args = shield(argv);
  const first = parse(args, allOptions(commands), "");
  const words = first.positionals;
  const wantsHelp = first.values.help === true;

  const group = commands.filter((c) => c.path[0] === words[0]);
  if (words.length === 0) {
    if (wantsHelp) return { kind: "help", topic: [] };
    throw new UsageError("no command given");
  }
  if (group.length === 0) throw new UsageError(`unknown command "${unshield(words[0])}"`);
  const spec = group.find((c) => c.path.every((w, i) => words[i] === w));
  if (spec === undefined) {
    if (wantsHelp && words.length === 1) return { kind: "help", topic: [words[0]!] };
    const sub = words[1];
    const message = sub === undefined ? `"${words[0]}" needs a subcommand` : `unknown command "${words[0]} ${unshield(sub)}"`;
    throw new UsageError(message, words[0]);
  }
  const name = spec.path.join(" ");
  if (wantsHelp) return { kind: "help", topic: spec.path };

  const second = parse(args, { ...GLOBAL_OPTIONS, ...spec.options }, name);
  const positionals = second.positionals.slice(spec.path.length).map(unshield);
  const required = spec.args.filter((a) => a.optional !== true).length;
  if (positionals.length < required) {
    const missing = spec.args.slice(positionals.length, required).map((a) => `<${a.name}>`);
    throw new UsageError(`missing ${missing.join(" ")}`, name);
  }
  if (positionals.length > spec.args.length) {
    throw new UsageError(`unexpected argument "${positionals[spec.args.length]}"`, name);
  }
  // No option is declared `multiple`, so arrays cannot occur; the last value would win if one did.
  const values: OptionValues = Object.fromEntries(
    Object.entries(second.values).map(([k, v]) => [k, unshield(Array.isArray(v) ? v.at(-1) : v)]),
  );
  const timeout = values.timeout;
  const timeoutMs = typeof timeout === "string" ? parseInteger(timeout, "--timeout", 1, 3_600_000, name) : DEFAULT_TIMEOUT_MS;
  return { kind: "command", spec, input: new CommandInput(name, positionals, values), globals: values, timeoutMs };
}
