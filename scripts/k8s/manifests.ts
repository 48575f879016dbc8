// The parts of rendered Kubernetes objects that the consistency checks read, and how to walk them:
// the pod templates of every workload kind, label selectors, and object lookup by kind and name.

export type Labels = Readonly<Record<string, string>>;

export interface Metadata {
  readonly name?: string;
  readonly namespace?: string;
  readonly labels?: Labels;
  readonly annotations?: Labels;
}

export interface LabelSelector {
  readonly matchLabels?: Labels;
  readonly matchExpressions?: ReadonlyArray<{ key: string; operator: string; values?: readonly string[] }>;
}

export interface KeyRef {
  readonly name: string;
  readonly key: string;
  readonly optional?: boolean;
}

export interface Probe {
  readonly grpc?: { port: number; service?: string };
  readonly tcpSocket?: { port: number | string };
  readonly httpGet?: { port: number | string; path?: string };
  readonly exec?: { command?: readonly string[] };
}

export interface SecurityContext {
  readonly runAsNonRoot?: boolean;
  readonly runAsUser?: number;
  readonly allowPrivilegeEscalation?: boolean;
  readonly privileged?: boolean;
  readonly readOnlyRootFilesystem?: boolean;
  readonly capabilities?: { add?: readonly string[]; drop?: readonly string[] };
  readonly seccompProfile?: { type?: string };
}

export interface Container {
  readonly name: string;
  readonly ports?: ReadonlyArray<{ name?: string; containerPort: number; hostPort?: number }>;
  readonly env?: ReadonlyArray<{
    name: string;
    value?: string;
    valueFrom?: { configMapKeyRef?: KeyRef; secretKeyRef?: KeyRef };
  }>;
  readonly envFrom?: ReadonlyArray<{
    configMapRef?: { name: string; optional?: boolean };
    secretRef?: { name: string; optional?: boolean };
  }>;
  readonly livenessProbe?: Probe;
  readonly readinessProbe?: Probe;
  readonly startupProbe?: Probe;
  readonly securityContext?: SecurityContext;
}

interface Projection {
  readonly name: string;
  readonly optional?: boolean;
  readonly items?: ReadonlyArray<{ key: string }>;
}

export interface Volume {
  readonly name: string;
  readonly configMap?: Projection;
  readonly secret?: Omit<Projection, "name"> & { secretName: string };
  readonly projected?: { sources?: ReadonlyArray<{ configMap?: Projection; secret?: Projection }> };
  readonly [type: string]: unknown;
}

export interface PodSpec {
  readonly containers: readonly Container[];
  readonly initContainers?: readonly Container[];
  readonly volumes?: readonly Volume[];
  readonly serviceAccountName?: string;
  readonly terminationGracePeriodSeconds?: number;
  readonly securityContext?: SecurityContext;
  readonly hostNetwork?: boolean;
  readonly hostPID?: boolean;
  readonly hostIPC?: boolean;
}

/** A Kubernetes object; spec is read through the narrower types above where a check needs it. */
export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: Metadata;
  readonly spec?: Record<string, unknown>;
  readonly data?: Readonly<Record<string, string>>;
  readonly stringData?: Readonly<Record<string, string>>;
}

/** An object as read from a rendered file, with where it came from. */
export interface Manifest {
  readonly file: string;
  readonly index: number;
  readonly object: KubeObject;
}

/** A pod (template) of a workload, with the labels its pods get. */
export interface Pod {
  readonly owner: Manifest;
  readonly namespace: string;
  readonly labels: Labels;
  readonly spec: PodSpec;
}

export const namespaceOf = (object: KubeObject): string => object.metadata?.namespace ?? "default";

export const describe = (m: Manifest): string =>
  `${m.file}#${m.index} ${m.object.kind ?? "?"}/${m.object.metadata?.name ?? "?"}`;

/** Helm hook phases of an object ("pre-install", "test", ...); empty for ordinary objects. */
export function hookPhases(object: KubeObject): string[] {
  const hook = object.metadata?.annotations?.["helm.sh/hook"];
  return hook === undefined ? [] : hook.split(",").map((phase) => phase.trim());
}

interface Template {
  readonly metadata?: Metadata;
  readonly spec?: PodSpec;
}

/** The pod templates of Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, and bare Pods. */
export function podsOf(manifests: readonly Manifest[]): Pod[] {
  const pods: Pod[] = [];
  for (const manifest of manifests) {
    const { object } = manifest;
    let template: Template | undefined;
    switch (object.kind) {
      case "Pod":
        template = { metadata: object.metadata, spec: object.spec as unknown as PodSpec };
        break;
      case "Deployment":
      case "StatefulSet":
      case "DaemonSet":
      case "ReplicaSet":
      case "Job":
        template = object.spec?.["template"] as Template | undefined;
        break;
      case "CronJob": {
        const jobTemplate = object.spec?.["jobTemplate"] as { spec?: { template?: Template } } | undefined;
        template = jobTemplate?.spec?.template;
        break;
      }
    }
    if (template?.spec === undefined) continue;
    pods.push({ owner: manifest, namespace: namespaceOf(object), labels: template.metadata?.labels ?? {}, spec: template.spec });
  }
  return pods;
}

export const containersOf = (spec: PodSpec): readonly Container[] => [...(spec.initContainers ?? []), ...spec.containers];

/** Whether labels satisfy a selector given as a plain map (Service, ReplicationController). */
export function matchesMap(selector: Labels, labels: Labels): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/** Whether labels satisfy a LabelSelector (matchLabels and matchExpressions); an empty selector matches all. */
export function matchesSelector(selector: LabelSelector, labels: Labels): boolean {
  if (!matchesMap(selector.matchLabels ?? {}, labels)) return false;
  return (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    const value = labels[key];
    switch (operator) {
      case "In":
        return value !== undefined && values.includes(value);
      case "NotIn":
        return value === undefined || !values.includes(value);
      case "Exists":
        return value !== undefined;
      case "DoesNotExist":
        return value === undefined;
      default:
        return false;
    }
  });
}

/** Looks objects up by kind, namespace and name. */
export function indexObjects(manifests: readonly Manifest[]): (kind: string, namespace: string, name: string) => Manifest | undefined {
  const byKey = new Map<string, Manifest>();
  for (const manifest of manifests) {
    const { kind, metadata } = manifest.object;
    if (kind !== undefined && metadata?.name !== undefined) {
      byKey.set(`${kind}/${namespaceOf(manifest.object)}/${metadata.name}`, manifest);
    }
  }
  return (kind, namespace, name) => byKey.get(`${kind}/${namespace}/${name}`);
}
