// `npm run bundle`: each service (and the migrate command) as one CommonJS file
// under dist/, as the image runs them: `node dist/user.cjs`, `node dist/migrate.cjs user`.
//
// Why one file: a service started from tsc's output loads about 760 modules,
// and Node keeps every module's source text, its module record and the
// import namespace of every builtin it imports (an ESM import of node:http
// reads http's lazy getters and so loads Node's whole fetch implementation).
// The bundle loads one file and takes 13-15 MiB off a service's resident
// set (docs/benchmarks/README.md, Memory). Two more things take about 3 MiB:
// - Connect's Headers are services/platform/headers.ts, not the global class
//   whose first use loads Node's fetch implementation (undici);
// - whitespace and syntax are minified (V8 keeps the source text of the whole
//   file: 1.6 MB becomes 1.0 MB), but not names, so stack traces still name
//   every function.
//
// Left outside, and loaded from node_modules at run time:
// - pg: the tracing SDK's pg instrumentation patches it as `require` loads it,
//   which it cannot do to a copy inside the bundle;
// - the tracing SDK, and PGlite with its Kysely dialect: loaded only when
//   tracing is on, or when no DATABASE_URL is set.
import { build } from "esbuild";
import { mkdirSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** What `node dist/<name>.cjs` runs. */
const ENTRY_POINTS = {
  user: "services/user/main.ts",
  point: "services/point/main.ts",
  department: "services/department/main.ts",
  beer: "services/beer/main.ts",
  migrate: "scripts/migrate.ts",
} as const;

export type BundleName = keyof typeof ENTRY_POINTS;

const EXTERNAL = [
  "pg",
  "pg-native",
  "@electric-sql/pglite",
  "kysely-pglite-dialect",
  "@opentelemetry/sdk-node",
  "@opentelemetry/instrumentation-pg",
  "@opentelemetry/resources",
];

/**
 * A new folder for bundles that tests and benchmarks build and remove: inside
 * the project (.cache/, ignored by git), so that the bundles find the packages
 * they leave outside in node_modules.
 */
export function tempBundleDir(prefix: string): string {
  mkdirSync(join(ROOT, ".cache"), { recursive: true });
  return mkdtempSync(join(ROOT, ".cache", `${prefix}-`));
}

/**
 * Writes `<outDir>/<name>.cjs` for every entry point. outDir must lie inside
 * the project (or another folder whose node_modules holds the externals).
 */
export function bundle(outDir: string, names: readonly BundleName[] = Object.keys(ENTRY_POINTS) as BundleName[]): Promise<string[]> {
  return bundleEntries(outDir, Object.fromEntries(names.map((name) => [name, ENTRY_POINTS[name]])));
}

/**
 * As bundle(), for any entry points (name -> path from the project's root), built the same way: the
 * conformance run bundles its server under test with it, to test what the image runs.
 */
export async function bundleEntries(outDir: string, entries: Record<string, string>): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: entries,
    outdir: outDir,
    outExtension: { ".js": ".cjs" },
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node22",
    external: EXTERNAL,
    // Every free `Headers` in the bundled code (Connect's, ours) names services/platform/headers.ts
    // instead of the global, which would load Node's fetch implementation (see that file).
    inject: [join(ROOT, "services/platform/headers.ts")],
    // Names stay, for stack traces that name their functions. Licence comments (/*! */, @license) stay in the
    // file; the image keeps the packages' own LICENSE files in node_modules.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: "eof",
    logLevel: "silent",
  });
  for (const warning of result.warnings) console.warn(`bundle: ${warning.text} (${warning.location?.file ?? "?"}:${warning.location?.line ?? "?"})`);
  return Object.keys(entries).map((name) => join(outDir, `${name}.cjs`));
}

// sh scripts/node.sh scripts/bundle.ts [outDir] [name=path ...]: the services (and migrate) into outDir
// (default dist/), or only the entry points named.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [dir, ...named] = process.argv.slice(2);
  const outDir = join(ROOT, dir ?? "dist");
  const entries = named.map((arg) => {
    const [name, path] = arg.split("=");
    if (!name || !path) throw new Error(`bundle: expected name=path, got "${arg}"`);
    return [name, path] as const;
  });
  const files = entries.length === 0 ? await bundle(outDir) : await bundleEntries(outDir, Object.fromEntries(entries));
  console.log(`bundled ${files.map((f) => f.slice(ROOT.length)).join(", ")}`);
}
