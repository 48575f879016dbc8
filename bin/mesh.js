#!/usr/bin/env node
// Launcher of the mesh CLI (`npx mesh`). Runs the compiled CLI when `npm run build`
// has produced it, else the TypeScript sources through tsx's loader, so the CLI
// works straight from a checkout after `npm install`.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const compiled = new URL("../dist/cli/main.js", import.meta.url);
let cli;
if (existsSync(fileURLToPath(compiled))) {
  cli = await import(compiled.href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  cli = await import(new URL("../cli/main.ts", import.meta.url).href);
}
await cli.main();
