// Consistency checks over a set of rendered Kubernetes objects: the mistakes that are valid against the
// OpenAPI schemas and still break a deployment (a probe on a port nobody listens on, a Service or
// NetworkPolicy that selects no pod, a Secret that does not exist, a hook that reads what is created after it).
import {
  containersOf,
  describe,
  hookPhases,
  indexObjects,
  matchesMap,
  matchesSelector,
  namespaceOf,
  podsOf,
  type Container,
  type KeyRef,
  type Labels,
  type LabelSelector,
  type Manifest,
  type Pod,
  type Probe,
} from "./manifests.js";
import { checkPodSecurity } from "./pod-security.js";

export interface Problem {
  /** file#document Kind/name of the object at fault. */
  readonly where: string;
  readonly message: string;
}

/** Secrets and ConfigMaps that exist outside the render (named as existing in the Helm values). */
export interface Externals {
  readonly Secret: readonly string[];
  readonly ConfigMap: readonly string[];
}

type Report = (manifest: Manifest, message: string) => void;

const PROBES = ["startupProbe", "readinessProbe", "livenessProbe"] as const;

/** The port a probe connects to; exec probes count when they run grpc-health-probe -addr=host:port. */
function probePort(probe: Probe): number | string | undefined {
  if (probe.grpc !== undefined) return probe.grpc.port;
  if (probe.tcpSocket !== undefined) return probe.tcpSocket.port;
  if (probe.httpGet !== undefined) return probe.httpGet.port;
  const command = probe.exec?.command?.join(" ") ?? "";
  const addr = /grpc-health-probe\b.*?-addr=\S*:(\d+)/.exec(command);
  return addr?.[1] === undefined ? undefined : Number(addr[1]);
}

const hasPort = (container: Container, port: number | string): boolean =>
  (container.ports ?? []).some((p) => (typeof port === "number" ? p.containerPort === port : p.name === port));

const podsHavePort = (pods: readonly Pod[], port: number | string): boolean =>
  pods.some((pod) => pod.spec.containers.some((c) => hasPort(c, port)));

function checkProbePorts(pods: readonly Pod[], report: Report): void {
  for (const pod of pods) {
    for (const container of containersOf(pod.spec)) {
      for (const kind of PROBES) {
        const probe = container[kind];
        if (probe === undefined) continue;
        const port = probePort(probe);
        if (port !== undefined && !hasPort(container, port)) {
          const declared = (container.ports ?? []).map((p) => `${p.name ?? "-"}=${p.containerPort}`).join(", ");
          report(pod.owner, `container ${container.name}: ${kind} port ${port} is not one of its container ports (${declared || "none"})`);
        }
      }
    }
  }
}

function checkServices(manifests: readonly Manifest[], pods: readonly Pod[], report: Report): void {
  for (const service of manifests.filter((m) => m.object.kind === "Service")) {
    const spec = service.object.spec as { selector?: Labels; ports?: ReadonlyArray<{ name?: string; port: number; targetPort?: number | string }> };
    if (spec.selector === undefined || Object.keys(spec.selector).length === 0) continue;
    const selected = pods.filter((p) => p.namespace === namespaceOf(service.object) && matchesMap(spec.selector ?? {}, p.labels));
    if (selected.length === 0) {
      report(service, `selector ${JSON.stringify(spec.selector)} selects no pod of any workload`);
      continue;
    }
    for (const port of spec.ports ?? []) {
      const target = port.targetPort ?? port.port;
      if (!podsHavePort(selected, target)) report(service, `port ${port.name ?? port.port}: targetPort ${target} is not a container port of the selected pods`);
    }
  }
}

function checkSelectors(manifests: readonly Manifest[], pods: readonly Pod[], report: Report): void {
  for (const manifest of manifests) {
    const { kind, spec } = manifest.object;
    const namespace = namespaceOf(manifest.object);
    const inNamespace = pods.filter((p) => p.namespace === namespace);
    if (kind === "NetworkPolicy") {
      const policy = spec as { podSelector?: LabelSelector; ingress?: ReadonlyArray<{ ports?: ReadonlyArray<{ port?: number | string }> }> };
      const selected = inNamespace.filter((p) => matchesSelector(policy.podSelector ?? {}, p.labels));
      if (selected.length === 0) {
        report(manifest, `podSelector ${JSON.stringify(policy.podSelector)} matches no pod`);
        continue;
      }
      for (const rule of policy.ingress ?? []) {
        for (const { port } of rule.ports ?? []) {
          if (port !== undefined && !podsHavePort(selected, port)) report(manifest, `ingress port ${port} is not a container port of the selected pods`);
        }
      }
    } else if (kind === "PodDisruptionBudget") {
      const selector = (spec as { selector?: LabelSelector }).selector ?? {};
      if (!inNamespace.some((p) => matchesSelector(selector, p.labels))) report(manifest, `selector ${JSON.stringify(selector)} matches no pod`);
    } else if (kind === "Deployment" || kind === "StatefulSet" || kind === "DaemonSet" || kind === "ReplicaSet") {
      const workload = spec as { selector?: LabelSelector; template?: { metadata?: { labels?: Labels } } };
      if (!matchesSelector(workload.selector ?? {}, workload.template?.metadata?.labels ?? {})) {
        report(manifest, `selector ${JSON.stringify(workload.selector)} does not match its own pod template labels`);
      }
    }
  }
}

function checkReferences(manifests: readonly Manifest[], pods: readonly Pod[], externals: Externals, report: Report): void {
  const find = indexObjects(manifests);
  for (const pod of pods) {
    const hook = hookPhases(pod.owner.object);
    const needs = (kind: "Secret" | "ConfigMap" | "ServiceAccount", ref: { name: string; optional?: boolean }, key?: string, what = "") => {
      if (ref.optional === true) return;
      if (kind !== "ServiceAccount" && externals[kind].includes(ref.name)) return;
      const target = find(kind, pod.namespace, ref.name);
      if (target === undefined) {
        report(pod.owner, `${what}${kind} ${ref.name} is neither rendered nor named as existing in the values`);
        return;
      }
      if (hook.some((phase) => phase.startsWith("pre-")) && hookPhases(target.object).length === 0) {
        report(pod.owner, `${what}${kind} ${ref.name} is created after this ${hook.join(",")} hook runs`);
      }
      const data = { ...target.object.data, ...target.object.stringData };
      if (key !== undefined && !(key in data)) report(pod.owner, `${what}${kind} ${ref.name} has no key ${key}`);
    };
    if (pod.spec.serviceAccountName !== undefined && pod.spec.serviceAccountName !== "default") {
      needs("ServiceAccount", { name: pod.spec.serviceAccountName }, undefined, "serviceAccountName: ");
    }
    for (const container of containersOf(pod.spec)) {
      const at = `container ${container.name}: `;
      for (const env of container.env ?? []) {
        const cm: KeyRef | undefined = env.valueFrom?.configMapKeyRef;
        const secret: KeyRef | undefined = env.valueFrom?.secretKeyRef;
        if (cm !== undefined) needs("ConfigMap", cm, cm.key, `${at}env ${env.name}: `);
        if (secret !== undefined) needs("Secret", secret, secret.key, `${at}env ${env.name}: `);
      }
      for (const from of container.envFrom ?? []) {
        if (from.configMapRef !== undefined) needs("ConfigMap", from.configMapRef, undefined, `${at}envFrom: `);
        if (from.secretRef !== undefined) needs("Secret", from.secretRef, undefined, `${at}envFrom: `);
      }
    }
    for (const volume of pod.spec.volumes ?? []) {
      const at = `volume ${volume.name}: `;
      const items = (p: { items?: ReadonlyArray<{ key: string }> }) => (p.items ?? []).map((i) => i.key);
      if (volume.configMap !== undefined) {
        needs("ConfigMap", volume.configMap, undefined, at);
        for (const key of items(volume.configMap)) needs("ConfigMap", volume.configMap, key, at);
      }
      if (volume.secret !== undefined) {
        const ref = { name: volume.secret.secretName, optional: volume.secret.optional };
        needs("Secret", ref, undefined, at);
        for (const key of items(volume.secret)) needs("Secret", ref, key, at);
      }
      for (const source of volume.projected?.sources ?? []) {
        if (source.configMap !== undefined) needs("ConfigMap", source.configMap, undefined, at);
        if (source.secret !== undefined) needs("Secret", source.secret, undefined, at);
      }
    }
  }
}

function checkRoutesAndMonitors(manifests: readonly Manifest[], report: Report): void {
  const find = indexObjects(manifests);
  const services = manifests.filter((m) => m.object.kind === "Service");
  const servicePorts = (m: Manifest) => ((m.object.spec?.["ports"] ?? []) as ReadonlyArray<{ name?: string; port: number }>);
  for (const manifest of manifests) {
    const { kind, spec } = manifest.object;
    const namespace = namespaceOf(manifest.object);
    if (kind === "GRPCRoute" || kind === "HTTPRoute") {
      const rules = (spec?.["rules"] ?? []) as ReadonlyArray<{ backendRefs?: ReadonlyArray<{ name: string; namespace?: string; port?: number; kind?: string }> }>;
      for (const ref of rules.flatMap((r) => r.backendRefs ?? [])) {
        if ((ref.kind ?? "Service") !== "Service") continue;
        const service = find("Service", ref.namespace ?? namespace, ref.name);
        if (service === undefined) report(manifest, `backendRef Service ${ref.name} is not rendered`);
        else if (!servicePorts(service).some((p) => p.port === ref.port)) report(manifest, `backendRef Service ${ref.name} has no port ${ref.port}`);
      }
    } else if (kind === "ServiceMonitor") {
      const monitor = spec as { selector?: LabelSelector; namespaceSelector?: { matchNames?: readonly string[]; any?: boolean }; endpoints?: ReadonlyArray<{ port?: string }> };
      const namespaces = monitor.namespaceSelector?.matchNames ?? [namespace];
      const selected = services.filter(
        (s) => (monitor.namespaceSelector?.any === true || namespaces.includes(namespaceOf(s.object))) && matchesSelector(monitor.selector ?? {}, s.object.metadata?.labels ?? {}),
      );
      if (selected.length === 0) report(manifest, `selector ${JSON.stringify(monitor.selector)} matches no Service`);
      for (const { port } of monitor.endpoints ?? []) {
        for (const service of selected) {
          if (port !== undefined && !servicePorts(service).some((p) => p.name === port)) report(manifest, `endpoint port ${port} is not a port of Service ${service.object.metadata?.name}`);
        }
      }
    } else if (kind === "HorizontalPodAutoscaler") {
      const target = (spec as { scaleTargetRef?: { kind: string; name: string } }).scaleTargetRef;
      if (target !== undefined && find(target.kind, namespace, target.name) === undefined) report(manifest, `scaleTargetRef ${target.kind}/${target.name} is not rendered`);
    } else if (kind === "StatefulSet") {
      const serviceName = spec?.["serviceName"] as string | undefined;
      const governing = serviceName === undefined ? undefined : find("Service", namespace, serviceName);
      if (serviceName !== undefined && governing?.object.spec?.["clusterIP"] !== "None") report(manifest, `serviceName ${serviceName} is not a rendered headless Service`);
    }
  }
}

/** Helm renders large numbers from values as floats (1.6777216e+07) unless a template converts them. */
const EXPONENT = /^[+-]?\d+(\.\d+)?e[+-]?\d+$/i;

function checkValues(manifests: readonly Manifest[], pods: readonly Pod[], report: Report): void {
  const find = indexObjects(manifests);
  for (const manifest of manifests.filter((m) => m.object.kind === "ConfigMap")) {
    for (const [key, value] of Object.entries(manifest.object.data ?? {})) {
      if (EXPONENT.test(value)) report(manifest, `data ${key}: "${value}" is a number in exponent notation`);
    }
  }
  for (const pod of pods) {
    for (const container of pod.spec.containers) {
      const env: Record<string, string> = {};
      for (const from of container.envFrom ?? []) {
        const cm = from.configMapRef === undefined ? undefined : find("ConfigMap", pod.namespace, from.configMapRef.name);
        Object.assign(env, cm?.object.data);
      }
      for (const e of container.env ?? []) {
        if (e.value !== undefined) env[e.name] = e.value;
        if (e.value !== undefined && EXPONENT.test(e.value)) report(pod.owner, `container ${container.name}: env ${e.name}="${e.value}" is a number in exponent notation`);
      }
      const graceMs = env["SHUTDOWN_GRACE_MS"];
      const graceSeconds = pod.spec.terminationGracePeriodSeconds ?? 30;
      if (graceMs !== undefined && graceSeconds * 1000 <= Number(graceMs)) {
        report(pod.owner, `terminationGracePeriodSeconds ${graceSeconds} does not exceed SHUTDOWN_GRACE_MS ${graceMs} of container ${container.name}`);
      }
    }
  }
}

/** Runs every check; an empty result means the objects are consistent. */
export function checkConsistency(manifests: readonly Manifest[], externals: Externals = { Secret: [], ConfigMap: [] }): Problem[] {
  const problems: Problem[] = [];
  const report: Report = (manifest, message) => problems.push({ where: describe(manifest), message });
  const pods = podsOf(manifests);
  checkProbePorts(pods, report);
  checkServices(manifests, pods, report);
  checkSelectors(manifests, pods, report);
  checkReferences(manifests, pods, externals, report);
  checkRoutesAndMonitors(manifests, report);
  checkValues(manifests, pods, report);
  for (const pod of pods) for (const message of checkPodSecurity(pod.spec)) report(pod.owner, message);
  return problems;
}
