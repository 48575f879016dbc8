// The outside tools the suite drives (grpcurl, grpc-health-probe, buf, curl):
// where they are on this machine, and one way to run any of them — execFile
// with a timeout, capturing stdout, stderr and the exit code — that also
// keeps count of how long each tool took.
import { execFile, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { test } from "node:test";

export const REPO_ROOT = resolve(import.meta.dirname, "..");

/** How a developer or CI gets the Go tools (pinned versions, cached). */
export const INSTALL_COMMAND = "sh scripts/install-tools.sh grpcurl grpc-health-probe";

export interface Tools {
  readonly grpcurl: string;
  readonly healthProbe: string;
  readonly buf: string;
  readonly curl: string;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` in `dirs`, then on PATH. */
function findExecutable(name: string, dirs: readonly string[]): string | undefined {
  const path = (process.env.PATH ?? "").split(delimiter).filter((d) => d !== "");
  for (const dir of [...dirs, ...path]) {
    const candidate = join(dir, name);
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * buf from the npm package: the platform binary itself when it can be found
 * (saves a Node start per call), else the package's launcher.
 */
function findBuf(): string | undefined {
  const require = createRequire(join(REPO_ROOT, "package.json"));
  try {
    const pkg = require.resolve(`@bufbuild/buf-${process.platform}-${process.arch}/package.json`);
    const binary = join(dirname(pkg), "bin", "buf");
    if (executable(binary)) return binary;
  } catch {
    // fall through to the launcher
  }
  const launcher = join(REPO_ROOT, "node_modules", ".bin", "buf");
  return executable(launcher) ? launcher : undefined;
}

export type ToolSearch = { readonly tools: Tools } | { readonly missing: readonly string[] };

export function locateTools(): ToolSearch {
  const goBin = join(process.env.MESH_TOOLS_CACHE ?? join(homedir(), ".cache", "grpc-mesh"), "bin");
  const found = {
    grpcurl: findExecutable("grpcurl", [goBin]),
    healthProbe: findExecutable("grpc-health-probe", [goBin]),
    buf: findBuf(),
    curl: findExecutable("curl", []),
  };
  const names: Record<keyof Tools, string> = {
    grpcurl: "grpcurl",
    healthProbe: "grpc-health-probe",
    buf: "buf (npm install)",
    curl: "curl",
  };
  const missing = (Object.keys(found) as Array<keyof Tools>).filter((k) => found[k] === undefined).map((k) => names[k]);
  if (missing.length > 0) return { missing };
  return { tools: found as Tools };
}

/**
 * The tools for a test file. When some are missing: in CI (CI set) the file
 * fails with a message naming them and the install command; elsewhere it
 * registers one skipped test saying the same, and returns undefined.
 */
export function suiteTools(): Tools | undefined {
  const search = locateTools();
  if ("tools" in search) return search.tools;
  const message = `missing tools: ${search.missing.join(", ")}; install the Go tools with \`${INSTALL_COMMAND}\``;
  if ((process.env.CI ?? "") !== "") throw new Error(`e2e: ${message} (CI is set, so this is a failure)`);
  console.warn(`e2e: SKIPPED — ${message}`);
  test(`e2e suite (${message})`, { skip: message }, () => {});
  return undefined;
}

export interface RunResult {
  /** The exit code, or null when the process ended by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the timeout killed it. */
  readonly timedOut: boolean;
  readonly ms: number;
}

export interface RunOptions {
  /** Killed with SIGTERM after this long. Default 30 s. */
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

interface ToolTime {
  runs: number;
  ms: number;
}
const times = new Map<string, ToolTime>();

/** Runs a program and resolves with what it did; rejects only when it cannot be started. */
export function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    execFile(
      file,
      args,
      { timeout: options.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024, env: options.env ?? process.env, cwd: REPO_ROOT },
      (err, stdout, stderr) => {
        const ms = performance.now() - started;
        const name = file.split("/").at(-1) ?? file;
        const time = times.get(name) ?? { runs: 0, ms: 0 };
        times.set(name, { runs: time.runs + 1, ms: time.ms + ms });
        const e = err as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean; signal?: NodeJS.Signals }) | null;
        if (e !== null && typeof e.code === "string") {
          reject(new Error(`cannot run ${file}: ${e.message}`));
          return;
        }
        resolvePromise({
          code: e === null ? 0 : typeof e.code === "number" ? e.code : null,
          signal: e?.signal ?? null,
          stdout,
          stderr,
          timedOut: e?.killed === true && e.signal === "SIGTERM",
          ms,
        });
      },
    );
  });
}

/** One line per tool: runs and total time, for the end of a test file. */
export function toolTimes(): string {
  return [...times]
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(([name, t]) => `${name}: ${t.runs} runs, ${(t.ms / 1000).toFixed(1)} s (mean ${(t.ms / t.runs).toFixed(0)} ms)`)
    .join("\n");
}

/** Describes a result for an assertion message. */
export function describeRun(result: RunResult): string {
  const tail = (s: string) => (s.length > 2000 ? `...${s.slice(-2000)}` : s);
  return `exit ${result.code ?? result.signal}${result.timedOut ? " (timed out)" : ""}\nstdout: ${tail(result.stdout)}\nstderr: ${tail(result.stderr)}`;
}

/** A running program whose stdout is read as it arrives (a streaming call). */
export interface LiveProcess {
  /** Everything printed on stdout so far. */
  readonly stdout: () => string;
  /** Resolves once `ready(stdout)` is true; rejects after `ms` or if the program ends first. */
  waitFor(ready: (stdout: string) => boolean, ms: number): Promise<void>;
  /** Stops it (SIGTERM) unless it has ended, and resolves with what it did. */
  stop(): Promise<RunResult>;
  /** Resolves when it ends by itself. */
  readonly ended: Promise<RunResult>;
}

export function spawnLive(file: string, args: readonly string[]): LiveProcess {
  const started = performance.now();
  const child = spawn(file, args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const listeners = new Set<() => void>();
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    for (const listener of listeners) listener();
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  let stopping = false;
  let exited = false;
  const ended = new Promise<RunResult>((resolvePromise, reject) => {
    child.once("error", (err) => {
      exited = true;
      reject(err);
    });
    child.once("close", (code, signal) => {
      exited = true;
      for (const listener of listeners) listener();
      resolvePromise({ code, signal, stdout, stderr, timedOut: stopping, ms: performance.now() - started });
    });
  });
  ended.catch(() => undefined);
  return {
    stdout: () => stdout,
    ended,
    waitFor(ready, ms) {
      return new Promise((resolvePromise, reject) => {
        const check = () => {
          if (ready(stdout)) done(undefined);
          else if (exited) done(new Error(`${file} ended before the expected output: stdout ${stdout.slice(-1500)} stderr ${stderr.slice(-1500)}`));
        };
        const timer = setTimeout(() => done(new Error(`${file}: no expected output within ${ms} ms; stdout ${stdout.slice(-1500)} stderr ${stderr.slice(-1500)}`)), ms);
        const done = (err: Error | undefined) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (err === undefined) resolvePromise();
          else reject(err);
        };
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (!exited) {
        stopping = true;
        child.kill("SIGTERM");
      }
      return ended;
    },
  };
}
