// How many objects of some constructors a V8 heap snapshot holds. A snapshot
// is taken after a full collection, so it counts only what is reachable:
// set against the bytes that outlive young collections (bench/lib/gc-trace.ts),
// it tells objects kept by live references from objects kept only by garbage
// in the old generation pointing at them, which young collections treat as
// live until the next full collection.
import { readFileSync } from "node:fs";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Objects per constructor name, for the names asked. */
export function countObjects(file: string, names: readonly string[]): Map<string, number> {
  const snap = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const [typeAt, nameAt, width] = [fields.indexOf("type"), fields.indexOf("name"), fields.length];
  const objectType = snap.snapshot.meta.node_types[0].indexOf("object");
  const counts = new Map(names.map((n) => [n, 0]));
  for (let i = 0; i < snap.nodes.length; i += width) {
    if (snap.nodes[i + typeAt] !== objectType) continue;
    const name = snap.strings[snap.nodes[i + nameAt] as number] as string;
    const n = counts.get(name);
    if (n !== undefined) counts.set(name, n + 1);
  }
  return counts;
}
