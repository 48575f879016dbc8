// Help text, written from the command specs so it cannot drift from the parser.
import { GLOBAL_OPTIONS } from "./args.js";
import type { CommandSpec, OptionSpec } from "./command.js";

function usageLine(spec: CommandSpec): string {
  const args = spec.args.map((a) => (a.optional === true ? `[${a.name}]` : `<${a.name}>`));
  const options = Object.keys(spec.options).length > 0 ? ["[options]"] : [];
  return ["mesh", ...spec.path, ...args, ...options].join(" ");
}

function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short === undefined ? "    " : `-${o.short}, `}--${name}${o.value === undefined ? "" : ` ${o.value}`}`;
    return [flag, o.description] as const;
  });
  const width = Math.max(0, ...rows.map(([flag]) => flag.length));
  return rows.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`);
}

function commandList(commands: readonly CommandSpec[]): string[] {
  const rows = commands.map((c) => [usageLine(c).replace(/^mesh /, ""), c.summary] as const);
  const width = Math.max(0, ...rows.map(([u]) => u.length));
  return rows.map(([u, s]) => `  ${u.padEnd(width)}  ${s}`);
}

export function topHelp(commands: readonly CommandSpec[]): string {
  return [
    "mesh: a command-line client of the gRPC mesh (user, point, department and beer services).",
    "",
    "Usage: mesh <command> [arguments] [options]",
    "",
    "Commands:",
    ...commandList(commands),
    "",
    "Global options:",
    ...optionLines(GLOBAL_OPTIONS),
    "",
    "Exit codes: 0 success, 1 a call failed or a service is not SERVING, 2 usage error, 130 interrupted.",
    "Run 'mesh <command> --help' for a command's options and examples.",
    "",
  ].join("\n");
}

export function groupHelp(group: string, commands: readonly CommandSpec[]): string {
  const members = commands.filter((c) => c.path[0] === group);
  return [`Usage: mesh ${group} <command> [arguments] [options]`, "", "Commands:", ...commandList(members), ""].join("\n");
}

export function commandHelp(spec: CommandSpec): string {
  const lines = [`Usage: ${usageLine(spec)}`, "", spec.summary];
  if (spec.details !== undefined) lines.push("", spec.details);
  if (spec.args.length > 0) {
    const width = Math.max(...spec.args.map((a) => a.name.length));
    lines.push("", "Arguments:", ...spec.args.map((a) => `  ${a.name.padEnd(width)}  ${a.description}`));
  }
  if (Object.keys(spec.options).length > 0) lines.push("", "Options:", ...optionLines(spec.options));
  lines.push("", "Global options:", ...optionLines(GLOBAL_OPTIONS));
  if (spec.examples.length > 0) lines.push("", "Examples:", ...spec.examples.map((e) => `  ${e}`));
  return lines.join("\n") + "\n";
}

/** Help for a topic: [] for the CLI, [group], or a command's path. */
export function helpFor(topic: readonly string[], commands: readonly CommandSpec[]): string {
  if (topic.length === 0) return topHelp(commands);
  const spec = commands.find((c) => c.path.join(" ") === topic.join(" "));
  return spec === undefined ? groupHelp(topic[0]!, commands) : commandHelp(spec);
}
