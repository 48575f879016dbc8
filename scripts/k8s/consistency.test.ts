// Unit tests of the consistency checks on small hand-made objects (no tools needed).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkConsistency } from "./consistency.js";
import type { Container, KubeObject, Manifest } from "./manifests.js";

const labels = { app: "user" };
const secure = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};
const container = (extra: Partial<Container> = {}): Container => ({
  name: "user",
  ports: [{ name: "grpc", containerPort: 50051 }],
  readinessProbe: { grpc: { port: 50051, service: "mesh.user.v1.UserService" } },
  securityContext: secure,
  ...extra,
});
const deployment = (podSpec: Record<string, unknown> = {}, annotations?: Record<string, string>): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "user", namespace: "ns" },
  spec: {
    selector: { matchLabels: labels },
    template: { metadata: { labels, ...(annotations && { annotations }) }, spec: { containers: [container()], ...podSpec } },
  },
});
const object = (kind: string, name: string, rest: Partial<KubeObject> = {}): KubeObject => ({ apiVersion: "v1", kind, metadata: { name, namespace: "ns" }, ...rest });
const manifests = (...objects: KubeObject[]): Manifest[] => objects.map((o, index) => ({ file: "test.yaml", index, object: o }));
const messages = (...objects: KubeObject[]) => checkConsistency(manifests(...objects)).map((p) => `${p.where}: ${p.message}`);

describe("checkConsistency", () => {
  test("passes a consistent Deployment, Service and NetworkPolicy", () => {
    const service = object("Service", "user", { spec: { selector: labels, ports: [{ name: "grpc", port: 50051, targetPort: "grpc" }] } });
    const policy = object("NetworkPolicy", "user", { spec: { podSelector: { matchLabels: labels }, ingress: [{ ports: [{ port: 50051 }] }] } });
    assert.deepEqual(messages(deployment(), service, policy), []);
  });

  test("reads the port of a grpc-health-probe exec probe", () => {
    const probe = { exec: { command: ["/bin/sh", "-c", "grpc-health-probe -addr=127.0.0.1:50052 -rpc-timeout=1s"] } };
    const bad = deployment({ containers: [container({ livenessProbe: probe })] });
    assert.match(messages(bad).join("\n"), /livenessProbe port 50052 is not one of its container ports \(grpc=50051\)/);
  });

  test("a Service targetPort name that no container declares", () => {
    const service = object("Service", "user", { spec: { selector: labels, ports: [{ name: "http", port: 8080, targetPort: "http" }] } });
    assert.match(messages(deployment(), service).join("\n"), /targetPort http is not a container port/);
  });

  test("a NetworkPolicy port that the selected pods do not listen on", () => {
    const policy = object("NetworkPolicy", "user", { spec: { podSelector: { matchLabels: labels }, ingress: [{ ports: [{ port: 5432 }] }] } });
    assert.match(messages(deployment(), policy).join("\n"), /ingress port 5432 is not a container port/);
  });

  test("a matchExpressions selector", () => {
    const policy = object("NetworkPolicy", "db", {
      spec: { podSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["point", "beer"] }] } },
    });
    assert.match(messages(deployment(), policy).join("\n"), /podSelector .* matches no pod/);
  });

  test("a pre-install hook that reads a ConfigMap created after it", () => {
    const hook: KubeObject = {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "migrate", namespace: "ns", annotations: { "helm.sh/hook": "pre-install,pre-upgrade" } },
      spec: { template: { spec: { containers: [container({ envFrom: [{ configMapRef: { name: "config" } }] })] } } },
    };
    const problems = messages(hook, object("ConfigMap", "config", { data: {} }));
    assert.match(problems.join("\n"), /Job\/migrate: container user: envFrom: ConfigMap config is created after this pre-install,pre-upgrade hook runs/);
  });

  test("an external Secret counts only when the values name it", () => {
    const env = [{ name: "USER_DATABASE_URL", valueFrom: { secretKeyRef: { name: "db", key: "url" } } }];
    const objects = manifests(deployment({ containers: [container({ env })] }));
    assert.equal(checkConsistency(objects).length, 1);
    assert.deepEqual(checkConsistency(objects, { Secret: ["db"], ConfigMap: [] }), []);
  });

  test("numbers in exponent notation and a grace period shorter than SHUTDOWN_GRACE_MS", () => {
    const config = object("ConfigMap", "config", { data: { WRITE_MAX_BYTES: "1.6777216e+07", SHUTDOWN_GRACE_MS: "30000" } });
    const pod = deployment({ containers: [container({ envFrom: [{ configMapRef: { name: "config" } }] })], terminationGracePeriodSeconds: 30 });
    const problems = messages(config, pod).join("\n");
    assert.match(problems, /data WRITE_MAX_BYTES: "1.6777216e\+07" is a number in exponent notation/);
    assert.match(problems, /terminationGracePeriodSeconds 30 does not exceed SHUTDOWN_GRACE_MS 30000/);
  });

  test("a GRPCRoute backend port, a ServiceMonitor port and an HPA target that do not exist", () => {
    const service = object("Service", "user", { metadata: { name: "user", namespace: "ns", labels: { scrape: "yes" } }, spec: { selector: labels, ports: [{ name: "grpc", port: 50051, targetPort: "grpc" }] } });
    const route = object("GRPCRoute", "user", { spec: { rules: [{ backendRefs: [{ name: "user", port: 8080 }] }] } });
    const monitor = object("ServiceMonitor", "mesh", { spec: { selector: { matchLabels: { scrape: "yes" } }, endpoints: [{ port: "admin" }] } });
    const hpa = object("HorizontalPodAutoscaler", "user", { spec: { scaleTargetRef: { kind: "Deployment", name: "users" } } });
    const problems = messages(deployment(), service, route, monitor, hpa).join("\n");
    assert.match(problems, /GRPCRoute\/user: backendRef Service user has no port 8080/);
    assert.match(problems, /ServiceMonitor\/mesh: endpoint port admin is not a port of Service user/);
    assert.match(problems, /HorizontalPodAutoscaler\/user: scaleTargetRef Deployment\/users is not rendered/);
  });

  test("restricted Pod Security controls", () => {
    const loose = deployment({ containers: [container({ securityContext: { runAsNonRoot: true } })], volumes: [{ name: "host", hostPath: { path: "/" } }] });
    const problems = messages(loose).join("\n");
    for (const expected of [/allowPrivilegeEscalation is not false/, /capabilities.drop does not include ALL/, /seccompProfile.type/, /readOnlyRootFilesystem/, /type hostPath is not allowed/]) {
      assert.match(problems, expected);
    }
  });
});
