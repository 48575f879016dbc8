// The server-side dry run against a real kube-apiserver (scripts/k8s/build-apiserver.sh builds it, once):
// it passes on the chart's renders and catches what offline schemas cannot (an enum value, Pod Security).
// Skipped when the API server has not been built.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const cache = process.env["MESH_TOOLS_CACHE"] ?? join(process.env["HOME"] ?? "/root", ".cache/grpc-mesh");
const version = /^apiserver_version=(\S+)$/m.exec(readFileSync(join(repo, "scripts/k8s/env.sh"), "utf8"))?.[1] ?? "";
const built = existsSync(join(cache, `kube-${version}`, "kube-apiserver"));

function run(...args: string[]): { status: number; output: string } {
  const result = spawnSync("sh", args, { cwd: repo, encoding: "utf8", timeout: 600_000 });
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

test("kubectl apply --dry-run=server accepts the renders and rejects purpose-made mistakes", { skip: built ? false : `no kube-apiserver ${version}: run scripts/k8s/build-apiserver.sh` }, () => {
  const work = mkdtempSync(join(tmpdir(), "mesh-apiserver-"));
  try {
    const rendered = run("scripts/k8s/render.sh", "sets", work);
    assert.equal(rendered.status, 0, rendered.output);
    const source = readFileSync(join(work, "default.yaml"), "utf8");
    const escalation = join(work, "escalation.yaml");
    writeFileSync(escalation, source.replace("allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true"));
    const protocol = join(work, "protocol.yaml");
    writeFileSync(protocol, source.replace("protocol: TCP}", "protocol: TCPX}"));

    const { status, output } = run("scripts/k8s/apiserver-dry-run.sh", join(work, "default.yaml"), join(work, "all-optional.yaml"), escalation, protocol);
    assert.notEqual(status, 0, output);
    assert.match(output, /ok: \S*default\.yaml \(39 objects\)/);
    assert.match(output, /ok: \S*all-optional\.yaml/);
    assert.match(output, /FAILED: \S*escalation\.yaml\n.*would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false/);
    assert.match(output, /FAILED: \S*protocol\.yaml\n.*Unsupported value: "TCPX"/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
