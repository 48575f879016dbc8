// Reads the JSON that manifests-to-json.py prints (from a file argument or stdin), runs the consistency
// checks, prints one line per problem and sets a non-zero exit code when there is any.
//   python3 manifests-to-json.py render.yaml --values values.yaml | node --import tsx check-consistency.ts
import { readFileSync } from "node:fs";
import { checkConsistency, type Externals } from "./consistency.js";
import type { Manifest } from "./manifests.js";

interface Input {
  readonly objects: readonly Manifest[];
  readonly externals: Externals;
}

const input = JSON.parse(readFileSync(process.argv[2] ?? 0, "utf8")) as Input;
const problems = checkConsistency(input.objects, input.externals);
for (const { where, message } of problems) console.log(`${where}: ${message}`);
const files = new Set(input.objects.map((o) => o.file));
if (problems.length > 0) {
  console.log(`consistency: ${problems.length} problem(s) in ${[...files].join(", ")}`);
  process.exitCode = 1;
} else {
  console.log(`consistency: ${input.objects.length} objects consistent in ${[...files].join(", ")}`);
}
