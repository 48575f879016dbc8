// What a command is (its spec, read by the parser and the help) and what it
// gets to run with (connections, output, call options).
import type { CallOptions } from "@connectrpc/connect";
import type { Connections } from "./connections.js";
import { UsageError } from "./errors.js";
import type { Writer } from "./output.js";

export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  /** Placeholder of the value in help, e.g. "N". */
  readonly value?: string;
  readonly description: string;
}

export interface ArgSpec {
  readonly name: string;
  readonly description: string;
  readonly optional?: boolean;
}

export interface CommandSpec {
  /** The words that select it: ["beers", "add"], or ["health"]. */
  readonly path: readonly string[];
  readonly summary: string;
  readonly args: readonly ArgSpec[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Extra paragraphs of help. */
  readonly details?: string;
  readonly examples: readonly string[];
  /** Returns the exit code; throws ConnectError or UsageError on failure. */
  run(ctx: CommandContext, input: CommandInput): Promise<number>;
}

export interface CommandContext {
  readonly connections: Connections;
  readonly stdout: Writer;
  readonly stderr: Writer;
  /** --json: proto3 JSON on stdout instead of tables. */
  readonly json: boolean;
  /** Aborted by Ctrl-C. */
  readonly signal: AbortSignal;
  /** Options of a unary call: the --timeout deadline and Ctrl-C. */
  callOptions(): CallOptions;
}

export type OptionValues = Readonly<Record<string, string | boolean | undefined>>;

/** A parsed command line: positional arguments after the command words, and option values. */
export class CommandInput {
  readonly command: string;
  readonly args: readonly string[];
  readonly #values: OptionValues;

  constructor(command: string, args: readonly string[], values: OptionValues) {
    this.command = command;
    this.args = args;
    this.#values = values;
  }

  arg(index: number): string {
    const value = this.args[index];
    if (value === undefined) throw new UsageError(`missing argument ${index + 1}`, this.command);
    return value;
  }

  string(name: string): string | undefined {
    const value = this.#values[name];
    return typeof value === "string" ? value : undefined;
  }

  flag(name: string): boolean {
    return this.#values[name] === true;
  }

  /** An integer option within bounds, or undefined when absent. */
  integer(name: string, min: number, max: number): number | undefined {
    const text = this.string(name);
    return text === undefined ? undefined : parseInteger(text, `--${name}`, min, max, this.command);
  }

  /** A decimal option, or undefined when absent. Bounds are the server's to check. */
  decimal(name: string): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value)) throw new UsageError(`--${name} must be a number, got "${text}"`, this.command);
    return value;
  }
}

export function parseInteger(text: string, what: string, min: number, max: number, command: string): number {
  const value = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${what} must be a whole number from ${min} to ${max}, got "${text}"`, command);
  }
  return value;
}
