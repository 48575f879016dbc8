// Benchmark processes: each role (a server, a client) runs in its own Node
// process, pinned to a core with taskset when possible, and talks to the
// orchestrator over the IPC channel.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  /** Resolves with the next message of the given type (messages are objects with a `type`). */
  next<T extends { type: string }>(type: T["type"]): Promise<T>;
  send(message: object): void;
  /** Asks the child to stop and waits for it to exit (SIGKILL after a grace period). */
  stop(): Promise<void>;
}

export interface SpawnOptions {
  /** Path of the role module, relative to bench/. */
  readonly role: string;
  readonly args?: readonly string[];
  /** Core for taskset, or undefined. */
  readonly core: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  /** Extra node flags (e.g. --cpu-prof). */
  readonly nodeFlags?: readonly string[];
  /** Pipe the child's stdout (child.process.stdout) instead of sharing ours: V8's traces print there. */
  readonly captureStdout?: boolean;
  /**
   * The project compiled by tsc (its bench/roles/*.js are run): production runs
   * tsc's JavaScript, and tsx's transform adds work to every closure it creates.
   * Undefined: the .ts role through tsx.
   */
  readonly compiledDir?: string | undefined;
}

const BENCH_DIR = fileURLToPath(new URL("..", import.meta.url));

/** Children still running: killed if the orchestrator exits early (an error), so none outlives it. */
const living = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of living) child.kill("SIGKILL");
});

export function spawnRole(options: SpawnOptions): Child {
  const compiled = options.compiledDir;
  const script = compiled === undefined ? [...process.execArgv, `${BENCH_DIR}${options.role}`] : [`${compiled}/bench/${options.role.replace(/\.ts$/, ".js")}`];
  const node = [...(options.nodeFlags ?? []), ...script, ...(options.args ?? [])];
  const [command, argv] = options.core === undefined ? [process.execPath, node] : ["taskset", ["-c", options.core, process.execPath, ...node]];
  const child = spawn(command, argv, { env: options.env ?? process.env, stdio: ["ignore", options.captureStdout === true ? "pipe" : "inherit", "inherit", "ipc"] });
  // A message to a child that just disconnected fails with EPIPE: nothing to do about it.
  child.on("error", () => undefined);
  living.add(child);
  child.once("exit", () => living.delete(child));
  const inbox: Array<{ type: string }> = [];
  const waiters: Array<{ type: string; resolve: (m: never) => void; reject: (e: Error) => void }> = [];
  let exited: Error | undefined;
  child.on("message", (m: { type: string }) => {
    const i = waiters.findIndex((w) => w.type === m.type);
    if (i >= 0) waiters.splice(i, 1)[0]?.resolve(m as never);
    else inbox.push(m);
  });
  const exit = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exited = new Error(`${options.role} exited (${code ?? signal}) before answering`);
      for (const w of waiters.splice(0)) w.reject(exited);
      resolve();
    }),
  );
  return {
    process: child,
    pid: child.pid ?? -1,
    next<T extends { type: string }>(type: T["type"]): Promise<T> {
      const i = inbox.findIndex((m) => m.type === type);
      if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0] as T);
      if (exited !== undefined) return Promise.reject(exited);
      return new Promise<T>((resolve, reject) => waiters.push({ type, resolve: resolve as (m: never) => void, reject }));
    },
    send(message) {
      if (child.connected) child.send(message, () => undefined);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ type: "stop" }, () => undefined);
      else child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** For roles: the orchestrator's messages, typed by `type`. */
export function onMessage(handler: (message: { type: string; [key: string]: unknown }) => void | Promise<void>): void {
  process.on("message", (m) => void handler(m as { type: string }));
}

export function reply(message: { type: string; [key: string]: unknown }): void {
  process.send?.(message);
}
