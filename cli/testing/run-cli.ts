// Runs the CLI in-process with captured output, as a test would read a terminal.
import type { ErrorReport } from "../errors.js";
import { run } from "../main.js";

/** A Writer that keeps what was written and lets a test wait for it. */
export class Capture {
  text = "";
  readonly #waiters = new Set<() => void>();

  write(chunk: string): boolean {
    this.text += chunk;
    for (const waiter of this.#waiters) waiter();
    return true;
  }

  lines(): string[] {
    return this.text.split("\n").filter((l) => l !== "");
  }

  /** Resolves once `done(lines)` holds; rejects after timeoutMs. */
  waitFor(done: (lines: string[]) => boolean, timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done(this.lines())) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out waiting for output; got:\n${this.text}`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `mesh ...argv` with an environment of only `env` (never the developer's shell). */
export async function runCli(
  argv: readonly string[],
  env: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<CliResult> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await run(argv, { stdout, stderr, env, ...(signal === undefined ? {} : { signal }) });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Runs with --json and parses stdout (`mesh health` writes it on failure too). */
export async function runJson<T = Record<string, unknown>>(argv: readonly string[], env: Record<string, string> = {}) {
  const result = await runCli([...argv, "--json"], env);
  return { ...result, json: result.stdout === "" ? undefined : (JSON.parse(result.stdout) as T) };
}

/** The JSON error report a failed `--json` command writes on stderr. */
export function jsonError(result: CliResult): ErrorReport {
  return JSON.parse(result.stderr.trim().split("\n").at(-1)!) as ErrorReport;
}
