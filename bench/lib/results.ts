// What a benchmark run records: rows of figures per suite, each with the load
// of the machine when it was measured, and the targets checked against
// them.
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import type { Quiet } from "./machine.js";

/** One measured case: its name, its figures, and how quiet the machine was. */
export interface Row {
  readonly case: string;
  readonly figures: Readonly<Record<string, number | string>>;
  readonly quiet: Quiet;
}

export interface Target {
  readonly name: string;
  /** What the issue asks, in words. */
  readonly wanted: string;
  /** What was measured, in words (ratios with their inputs). */
  readonly reached: string;
  /** undefined when the inputs were not measured in this run. */
  readonly met: boolean | undefined;
}

export interface RunMeta {
  readonly date: string;
  readonly commit: string;
  /** Files changed since the commit (benchmarks ran on them). */
  readonly dirty: boolean;
  readonly node: string;
  readonly cpu: string;
  readonly cores: number;
  readonly pinned: boolean;
  readonly smoke: boolean;
  readonly command: string;
}

export interface Results {
  readonly meta: RunMeta;
  readonly suites: Record<string, Row[]>;
  targets: Target[];
}

export function runMeta(smoke: boolean, pinned: boolean): RunMeta {
  const git = (args: string[]) => {
    try {
      return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      return "";
    }
  };
  return {
    date: new Date().toISOString(),
    commit: git(["rev-parse", "--short", "HEAD"]) || "unknown",
    dirty: git(["status", "--porcelain", "--untracked-files=no"]) !== "",
    node: process.version,
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    pinned,
    smoke,
    command: ["npm run bench --", ...process.argv.slice(2)].join(" "),
  };
}

/** The first row of `rows` whose case and figures match. */
export function find(rows: readonly Row[] | undefined, match: (row: Row) => boolean): Row | undefined {
  return rows?.find(match);
}

export function num(row: Row | undefined, figure: string): number | undefined {
  const v = row?.figures[figure];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}
