// Adds lockfile entries for @bufbuild/buf's platform packages that the npm
// registry mirror of our build machines does not serve (it answers 404 for
// the darwin, win32 and linux-armv7 builds). npm then leaves them out of
// package-lock.json and `npm ci` refuses the lockfile as out of sync. The
// entries added here are optional and platform-bound, so npm skips them on
// Linux x64 and fetches them by version elsewhere. Run after `npm install`:
//   node scripts/complete-lockfile.mjs
import { readFileSync, writeFileSync } from "node:fs";

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const buf = lock.packages["node_modules/@bufbuild/buf"];
const cpus = { arm64: "arm64", x64: "x64", armv7: "arm" };
let added = 0;
for (const [name, version] of Object.entries(buf?.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key] !== undefined) continue;
  const [, os, arch] = /^@bufbuild\/buf-(\w+)-(\w+)$/.exec(name) ?? [];
  if (os === undefined || !(arch in cpus)) throw new Error(`unexpected optional dependency ${name}`);
  lock.packages[key] = {
    version,
    cpu: [cpus[arch]],
    dev: true,
    license: "Apache-2.0",
    optional: true,
    os: [os],
    engines: { node: ">=12" },
  };
  added++;
}
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} entries`);
