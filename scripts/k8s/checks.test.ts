// The offline Kubernetes checks end to end, with the real tools (scripts/install-tools.sh): they pass on the
// chart's renders and fail on purpose-made mistakes in a copy of a render (the repository is never touched).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const cache = process.env["MESH_TOOLS_CACHE"] ?? join(process.env["HOME"] ?? "/root", ".cache/grpc-mesh");
let work = "";

function run(command: string, ...args: string[]): { status: number; output: string } {
  const result = spawnSync(command, args, { cwd: repo, encoding: "utf8", timeout: 300_000 });
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

function mustRun(command: string, ...args: string[]): void {
  const { status, output } = run(command, ...args);
  assert.equal(status, 0, `${command} ${args.join(" ")} failed:\n${output}`);
}

const checkManifests = (...args: string[]) => run("sh", "scripts/k8s/check-manifests.sh", ...args);

/** Edits the one YAML document of a render that has `kind` and `name`; fails unless the edit changes it. */
function editDocument(file: string, kind: string, name: string, edit: (document: string) => string): string {
  const documents = readFileSync(join(work, "sets", "default.yaml"), "utf8").split(/^---$/m);
  const at = documents.findIndex((d) => d.includes(`\nkind: ${kind}\n`) && d.includes(`\n  name: ${name}\n`));
  assert.notEqual(at, -1, `no ${kind}/${name} in the default render`);
  const before = documents[at] ?? "";
  const after = edit(before);
  assert.notEqual(after, before, `the edit of ${kind}/${name} changed nothing`);
  documents[at] = after;
  const path = join(work, file);
  writeFileSync(path, documents.join("---"));
  return path;
}

before(() => {
  mustRun("sh", "scripts/install-tools.sh");
  mustRun("sh", "scripts/k8s/prepare-schemas.sh");
  work = mkdtempSync(join(tmpdir(), "mesh-k8s-checks-"));
  mustRun("sh", "scripts/k8s/render.sh", "sets", join(work, "sets"));
});

after(() => {
  if (work !== "") rmSync(work, { recursive: true, force: true });
});

describe("the real chart", () => {
  const sets: ReadonlyArray<[string, string | undefined]> = [
    ["default", undefined],
    ["development", "helm/values-dev.yaml"],
    ["exec-probes", "helm/ci/exec-probes-values.yaml"],
    ["external-database", "helm/ci/external-database-values.yaml"],
    ["all-optional", "helm/ci/all-optional-values.yaml"],
  ];
  for (const [name, values] of sets) {
    test(`value set ${name} passes schema and consistency checks`, () => {
      const args = [join(work, "sets", `${name}.yaml`), ...(values === undefined ? [] : ["--values", values])];
      const { status, output } = checkManifests(...args);
      assert.equal(status, 0, output);
      assert.match(output, /Invalid: 0, Errors: 0, Skipped: 0/);
    });
  }

  test("k8s/ and the skaffold verify Job pass, and k8s/ equals a fresh render", () => {
    const { status, output } = checkManifests("k8s/00-namespace.yaml", "k8s/10-grpc-mesh.yaml", "scripts/k8s/skaffold-verify-job.yaml");
    assert.equal(status, 0, output);
    mustRun("sh", "scripts/k8s/check-drift.sh");
  });

  test("skaffold.yaml is valid against skaffold's schema", () => {
    mustRun(join(cache, "venv/bin/python"), "scripts/k8s/validate-skaffold.py", "skaffold.yaml", join(cache, "files/skaffold-v4beta13.json"));
  });
});

describe("purpose-made mistakes fail", () => {
  test("a readiness probe on a port the container does not declare", () => {
    const file = editDocument("probe-port.yaml", "Deployment", "grpc-mesh-user", (d) =>
      d.replace("readinessProbe:\n            grpc: {port: 50051", "readinessProbe:\n            grpc: {port: 50052"),
    );
    const { status, output } = checkManifests(file);
    assert.notEqual(status, 0, output);
    assert.match(output, /Deployment\/grpc-mesh-user: container user: readinessProbe port 50052 is not one of its container ports/);
  });

  test("an unknown field in a container", () => {
    const file = editDocument("unknown-field.yaml", "Deployment", "grpc-mesh-user", (d) =>
      d.replace("        - name: user\n", "        - name: user\n          imagePullPolice: Always\n"),
    );
    const { status, output } = checkManifests(file);
    assert.notEqual(status, 0, output);
    assert.match(output, /Deployment grpc-mesh-user is invalid.*additional properties 'imagePullPolice' not allowed/);
  });

  test("a Service whose selector matches no pod", () => {
    const file = editDocument("selector.yaml", "Service", "grpc-mesh-user", (d) =>
      d.replace(/(\n  selector:\n(?: {4}.*\n)*? {4}app\.kubernetes\.io\/component:) user\n/, "$1 users\n"),
    );
    const { status, output } = checkManifests(file);
    assert.notEqual(status, 0, output);
    assert.match(output, /Service\/grpc-mesh-user: selector .*"users".* selects no pod of any workload/);
  });

  test("a NetworkPolicy whose podSelector matches no pod", () => {
    const file = editDocument("network-policy.yaml", "NetworkPolicy", "grpc-mesh-point", (d) =>
      d.replace(/(\n  podSelector:\n(?: {4,}.*\n)*? {6}app\.kubernetes\.io\/component:) point\n/, "$1 pointt\n"),
    );
    const { status, output } = checkManifests(file);
    assert.notEqual(status, 0, output);
    assert.match(output, /NetworkPolicy\/grpc-mesh-point: podSelector .* matches no pod/);
  });

  test("a database URL read from a Secret key that does not exist", () => {
    const file = editDocument("secret-key.yaml", "Deployment", "grpc-mesh-beer", (d) => d.replaceAll("key: beer-database-url", "key: beer-db-url"));
    const { status, output } = checkManifests(file);
    assert.notEqual(status, 0, output);
    assert.match(output, /Deployment\/grpc-mesh-beer: container beer: env BEER_DATABASE_URL: Secret grpc-mesh-postgresql has no key beer-db-url/);
  });

  test("an external Secret that the values do not name", () => {
    const { status, output } = checkManifests(join(work, "sets", "external-database.yaml"));
    assert.notEqual(status, 0, output);
    assert.match(output, /Secret mesh-database is neither rendered nor named as existing in the values/);
  });

  test("a container that may escalate privileges", () => {
    const file = editDocument("privilege.yaml", "Deployment", "grpc-mesh-point", (d) =>
      d.replace("allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true"),
    );
    const { status, output } = checkManifests(file);
    assert.notEqual(status, 0, output);
    assert.match(output, /securityContext\.allowPrivilegeEscalation is not false/);
  });

  test("k8s/ edited by hand (drift from the chart)", () => {
    const copy = join(work, "k8s-copy");
    cpSync(join(repo, "k8s"), copy, { recursive: true });
    const file = join(copy, "10-grpc-mesh.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("replicas: 2", "replicas: 3"));
    const { status, output } = run("sh", "scripts/k8s/check-drift.sh", copy);
    assert.notEqual(status, 0, output);
    assert.match(output, /differs from a fresh render/);
  });

  test("an unknown field in skaffold.yaml", () => {
    const file = join(work, "skaffold.yaml");
    writeFileSync(file, readFileSync(join(repo, "skaffold.yaml"), "utf8").replace("  statusCheckDeadlineSeconds: 300", "  statusCheckDeadlineSecond: 300"));
    const { status, output } = run(join(cache, "venv/bin/python"), "scripts/k8s/validate-skaffold.py", file, join(cache, "files/skaffold-v4beta13.json"));
    assert.notEqual(status, 0, output);
    assert.match(output, /statusCheckDeadlineSecond/);
  });
});
