// Where a role's memory is allocated: V8's sampling heap profiler, keeping the
// samples of objects the garbage collector has already freed (a per-call
// object lives for microseconds, and garbage is what the GC time in the CPU
// profiles is spent on). A role samples when MESH_BENCH_ALLOCATIONS names the
// file to write; bench/profile.ts --allocations sets it and prints the result.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";

export const ALLOCATIONS_ENV = "MESH_BENCH_ALLOCATIONS";
/** Set to "1": only what outlived a young collection (survivors; freed later by a full one, or still alive). */
export const SURVIVORS_ENV = "MESH_BENCH_SURVIVORS";

/** Starts sampling when the environment asks for it; the function returned writes the profile. */
export async function sampleAllocations(): Promise<() => Promise<void>> {
  const file = process.env[ALLOCATIONS_ENV];
  if (file === undefined || file === "") return async () => undefined;
  const session = new Session();
  session.connect();
  // Inspector parameters newer than Node's types: keep what minor and major GCs collect.
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: 256,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: process.env[SURVIVORS_ENV] !== "1",
  } as { samplingInterval: number });
  return async () => {
    const { profile } = await session.post("HeapProfiler.stopSampling");
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

/** Bytes allocated by function (name, file and line), largest first, and their total. */
export function allocationsByFunction(profile: { head: SamplingNode }): { total: number; rows: Array<[number, string]> } {
  const bytes = new Map<string, number>();
  let total = 0;
  const walk = (node: SamplingNode) => {
    const frame = node.callFrame;
    const file = frame.url.replace(/^.*node_modules\//, "").replace(/^.*\.cache\/[^/]+\//, "");
    const key = `${frame.functionName || "(anonymous)"} ${file}${file === "" ? "" : `:${frame.lineNumber + 1}`}`;
    bytes.set(key, (bytes.get(key) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  return { total, rows: [...bytes].sort((a, b) => b[1] - a[1]).map(([key, size]) => [size, key]) };
}
