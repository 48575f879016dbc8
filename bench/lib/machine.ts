// What the benchmarks read of the machine: whether it is quiet enough to
// measure, and a process's CPU time and memory from /proc (so any server, ours
// or grpc-js or raw, is measured the same way from outside).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";

const CLOCK_TICKS = 100; // USER_HZ on Linux

export interface Quiet {
  /** 1-minute load average when the measurement started. */
  readonly load1: number;
  /** Share of all cores busy over a 2 s sample taken with our own processes idle, 0..1. */
  readonly busy: number;
  /** Seconds spent waiting for the machine to quieten. */
  readonly waitedS: number;
}

export interface QuietOptions {
  /** Wait while the 1-minute load is above this. Default 0.7. */
  readonly maxLoad?: number;
  /** ... but stop waiting once the machine has been seen idle (busy below this) this many times: the load is then our own run decaying. */
  readonly idleBusy?: number;
  /** Give up waiting after this long and measure anyway (the figure carries its load). */
  readonly maxWaitS: number;
}

/**
 * Waits until the 1-minute load average is at most maxLoad, or until the machine
 * is seen idle twice in a row (then a high load average is the decay of our own
 * previous measurement, not another user), or maxWaitS passes.
 */
export async function waitForQuiet(options: QuietOptions): Promise<Quiet> {
  const maxLoad = options.maxLoad ?? 0.7;
  const idleBusy = options.idleBusy ?? 0.08;
  const started = performance.now();
  let idleSeen = 0;
  for (;;) {
    const busy = await sampleBusy(2_000);
    const load1 = loadAverage();
    const waitedS = (performance.now() - started) / 1000;
    idleSeen = busy < idleBusy ? idleSeen + 1 : 0;
    if (load1 <= maxLoad || idleSeen >= 2 || waitedS >= options.maxWaitS) return { load1, busy, waitedS };
    await sleep(3_000);
  }
}

export function loadAverage(): number {
  return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
}

/** Share of all cores busy over `ms`, from /proc/stat. */
export async function sampleBusy(ms: number): Promise<number> {
  const a = cpuTimes();
  await sleep(ms);
  const b = cpuTimes();
  const total = b.total - a.total;
  return total <= 0 ? 0 : (b.busy - a.busy) / total;
}

function cpuTimes(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  const total = fields.reduce((s, v) => s + v, 0);
  return { busy: total - idle, total };
}

/** User + system CPU time of a process (all its threads), in microseconds. */
export function processCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After the command: state is field 3, utime 14 and stime 15 (1-based over the whole line).
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / CLOCK_TICKS;
}

/**
 * Resident set now (VmRSS), its peak (VmHWM), and its private part (RssAnon:
 * what the process alone costs; the rest is mostly the node binary's pages,
 * shared by every Node process on the machine), in bytes.
 */
export function memoryOf(pid: number): { rss: number; peak: number; private: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb("VmRSS"), peak: kb("VmHWM"), private: kb("RssAnon"), file: kb("RssFile") };
}

/** Whether processes can be pinned to cores (taskset, and at least two cores). */
export function canPin(): boolean {
  return availableParallelism() >= 2 && spawnSync("taskset", ["-c", "0", "true"]).status === 0;
}

export function hasCommand(command: string, args: string[] = ["--version"]): boolean {
  const r = spawnSync(command, args, { stdio: "ignore" });
  return r.error === undefined;
}
