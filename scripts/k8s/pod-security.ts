// The controls of the "restricted" Pod Security Standard that a pod spec alone decides (checked here because
// no API server runs in CI), plus this project's own rule: a read-only root filesystem.
// https://kubernetes.io/docs/concepts/security/pod-security-standards/ (restricted, version latest)
import { containersOf, type PodSpec } from "./manifests.js";

const ALLOWED_VOLUMES = new Set(["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"]);
const SECCOMP_TYPES = new Set(["RuntimeDefault", "Localhost"]);

/** Messages for every restricted-profile control the pod spec breaks; empty when it complies. */
export function checkPodSecurity(spec: PodSpec): string[] {
  const problems: string[] = [];
  const pod = spec.securityContext ?? {};
  if (spec.hostNetwork === true || spec.hostPID === true || spec.hostIPC === true) problems.push("uses host namespaces");
  for (const volume of spec.volumes ?? []) {
    const type = Object.keys(volume).find((key) => key !== "name");
    if (type !== undefined && !ALLOWED_VOLUMES.has(type)) problems.push(`volume ${volume.name}: type ${type} is not allowed by the restricted profile`);
  }
  if (pod.runAsUser === 0) problems.push("pod securityContext.runAsUser is 0");
  for (const container of containersOf(spec)) {
    const c = container.securityContext ?? {};
    const at = `container ${container.name}: securityContext`;
    if (c.privileged === true) problems.push(`${at}.privileged is true`);
    if (c.allowPrivilegeEscalation !== false) problems.push(`${at}.allowPrivilegeEscalation is not false`);
    if ((c.runAsNonRoot ?? pod.runAsNonRoot) !== true) problems.push(`${at}.runAsNonRoot is not true (nor in the pod's)`);
    if (c.runAsUser === 0) problems.push(`${at}.runAsUser is 0`);
    const seccomp = c.seccompProfile?.type ?? pod.seccompProfile?.type;
    if (seccomp === undefined || !SECCOMP_TYPES.has(seccomp)) problems.push(`${at}.seccompProfile.type is not RuntimeDefault or Localhost (nor in the pod's)`);
    if (!(c.capabilities?.drop ?? []).includes("ALL")) problems.push(`${at}.capabilities.drop does not include ALL`);
    const added = (c.capabilities?.add ?? []).filter((cap) => cap !== "NET_BIND_SERVICE");
    if (added.length > 0) problems.push(`${at}.capabilities.add has ${added.join(", ")}`);
    if (c.readOnlyRootFilesystem !== true) problems.push(`${at}.readOnlyRootFilesystem is not true`);
    for (const port of container.ports ?? []) {
      if (port.hostPort !== undefined && port.hostPort !== 0) problems.push(`container ${container.name}: hostPort ${port.hostPort}`);
    }
  }
  return problems;
}
