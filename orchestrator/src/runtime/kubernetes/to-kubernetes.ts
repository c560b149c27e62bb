import { createHash } from 'node:crypto';
import type { EnvironmentPlan, PlannedHost } from '../../compiler/environment-plan.ts';
import { canonicalJson } from '../../compiler/environment-plan.ts';
import { LABEL } from '../../compiler/plan-exercise.ts';
import { addressUses } from '../../compiler/plan-addresses.ts';
import { CyropError } from '../../errors.ts';

/**
 * Plan → Kubernetes manifests, pure: plain JSON objects in the shape of the Kubernetes API (no
 * client library here; kubernetes-adapter.ts is the only file that speaks to a cluster). One
 * namespace per team and generation; see README.md for what each object is for.
 */

export const KUBE_LABEL = {
  ...LABEL,
  generation: 'cyrop.io/generation',
  hostHash: 'cyrop.io/host-hash',
  role: 'cyrop.io/role',
  network: 'cyrop.io/network',
} as const;

/** A pod carries `cyrop.io/net-<network>: "true"` for each scenario network it is on. */
export const NETWORK_LABEL_PREFIX = 'cyrop.io/net-';

/** The headless Service that gives each pod `<hostname>.hosts.<namespace>.svc.<domain>`. */
export const HOSTS_SERVICE = 'hosts';
export const SERVICE_ACCOUNT = 'cyrop-host';
export const FILES_MOUNT = '/run/cyrop/files';
/**
 * Files that spell host addresses are written here by the driver once every pod of the team has its
 * address (`f<i>`, then `ready`); the host's first process waits for them (late-bound addresses).
 */
export const LATE_FILES_DIR = '/run/cyrop/late';
/** Made by a host's first process once its files are in place: the pod is not Ready before. */
export const INSTALLED_MARK = '/run/cyrop-installed';
export const FIELD_MANAGER = 'cyrop';
/** Pod Security Standards version the namespace labels pin (the cluster this was built against). */
export const POD_SECURITY_VERSION = 'v1.34';

/** Capabilities the Pod Security `baseline` level allows in `capabilities.add`. */
export const BASELINE_CAPABILITIES: readonly string[] = [
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
];

/**
 * What a host may be granted on this engine. Beyond `baseline`, the tools of a range need raw
 * sockets (nmap, tcpdump), interface control and ptrace (live forensics); a namespace whose hosts
 * ask for one of these is labelled `privileged` (Pod Security has no level in between), which is
 * why nothing else (SYS_ADMIN, SYS_MODULE, …) is granted: those would escape the pod.
 */
export const GRANTABLE_CAPABILITIES: readonly string[] = [
  ...BASELINE_CAPABILITIES,
  'NET_ADMIN',
  'NET_RAW',
  'SYS_PTRACE',
];

/** What the manifests depend on beyond the plan: the cluster's settings. */
export interface KubernetesSettings {
  /** Namespace names start with this (a DNS label, e.g. `cyrop`). */
  namespacePrefix: string;
  /** The address of the cluster DNS the pods use (`clusterDNS` of the kubelet): the only egress outside the team. */
  dnsAddress: string;
  /** The cluster's DNS domain (default `cluster.local`). */
  clusterDomain?: string;
  /** Where images are pulled from, `HOST[:PORT][/PATH]`: `cyrop/target:1` becomes `<registry>/cyrop/target:1`. */
  registry?: string;
  /** Known digests by plan image reference (`cyrop images push` records them): pulled by digest. */
  digests?: Readonly<Record<string, string>>;
  /** `IfNotPresent` unless told otherwise (`Never` for clusters that only have imported images). */
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /**
   * The driver's rights inside team namespaces come from a RoleBinding it makes in each (the
   * platform's ServiceAccount holds them nowhere else): this ClusterRole, bound to this subject.
   */
  teamAccess?: { role: string; subject: RbacSubject };
}

/** Who a RoleBinding grants to: a ServiceAccount, or a user by name. */
export type RbacSubject =
  { kind: 'ServiceAccount'; name: string; namespace: string } | { kind: 'User'; name: string };

/** The RoleBinding name the driver gives itself in each team namespace. */
export const TEAM_ACCESS_BINDING = 'cyrop-platform';

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
  };
} & Record<string, unknown>;

export interface KubernetesManifests {
  namespace: string;
  podSecurityLevel: 'baseline' | 'privileged';
  /** Namespace first, then (in this order) policies, account, quota, limits, services, secrets. */
  setup: KubeObject[];
  /** With `teamAccess`: the RoleBinding giving the driver its rights in the namespace, applied right after it. */
  grant?: KubeObject;
  /**
   * One per host, in plan order; `hash` is the pod's own hash (its label `cyrop.io/host-hash`);
   * `late`: the indexes of its files that spell host addresses, which the driver writes into
   * LATE_FILES_DIR (as `f<i>`) once the pods have addresses.
   */
  pods: { host: string; hash: string; pod: KubeObject; secret?: KubeObject; late: number[] }[];
}

/** The plan hash as a label value (a label value holds at most 63 characters). */
export function planHashLabel(hash: string): string {
  return hash.slice(0, 40);
}

/** A DNS label (RFC 1123) of at most 63 characters for a team's namespace, new per generation. */
export function namespaceName(prefix: string, exercise: string, team: string, generation: string): string {
  const full = `${prefix}-${exercise}-${team}-${generation}`;
  if (full.length <= 63) return full;
  const digest = createHash('sha256').update(`${exercise}\0${team}`).digest('hex').slice(0, 8);
  const room = 63 - prefix.length - generation.length - digest.length - 4;
  const half = Math.max(1, Math.floor(room / 2));
  const trim = (s: string) => s.slice(0, half).replace(/-+$/, '');
  return `${prefix}-${trim(exercise)}-${trim(team)}-${digest}-${generation}`;
}

/** Pod name of a host: its plan name (a DNS label already). */
export function podName(host: string): string {
  return host;
}

export function networkLabel(network: string): string {
  return `${NETWORK_LABEL_PREFIX}${network}`;
}

/** The Pod Security level the hosts' capabilities need. */
export function podSecurityLevel(plan: EnvironmentPlan): 'baseline' | 'privileged' {
  const baseline = new Set(BASELINE_CAPABILITIES);
  return plan.hosts.every((h) => h.capabilities.every((c) => baseline.has(c))) ? 'baseline' : 'privileged';
}

/** Plan → every object of the team's namespace for one generation. Pure; throws CyropError for what this engine cannot do. */
export function toKubernetes(
  plan: EnvironmentPlan,
  settings: KubernetesSettings,
  generation: string,
): KubernetesManifests {
  checkPlan(plan);
  const ns = namespaceName(settings.namespacePrefix, plan.exercise.id, plan.team.id, generation);
  const level = podSecurityLevel(plan);
  // A label value holds at most 63 characters: the label has the hash's first 40 hex digits (for
  // selectors), the namespace's annotation the whole of it.
  const base = { ...plan.labels, [KUBE_LABEL.planHash]: planHashLabel(plan.hash) };
  const meta = (name: string, role: string, extra: Record<string, string> = {}) => ({
    name,
    namespace: ns,
    labels: { ...base, [KUBE_LABEL.role]: role, ...extra },
  });
  const domain = settings.clusterDomain ?? 'cluster.local';
  const hostsSelector = { [LABEL.managedBy]: 'cyrop', [KUBE_LABEL.role]: 'host' };

  const namespace: KubeObject = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: ns,
      annotations: { [KUBE_LABEL.planHash]: plan.hash },
      labels: {
        ...base,
        [KUBE_LABEL.generation]: generation,
        'pod-security.kubernetes.io/enforce': level,
        'pod-security.kubernetes.io/enforce-version': POD_SECURITY_VERSION,
        'pod-security.kubernetes.io/warn': level,
        'pod-security.kubernetes.io/warn-version': POD_SECURITY_VERSION,
        'pod-security.kubernetes.io/audit': level,
        'pod-security.kubernetes.io/audit-version': POD_SECURITY_VERSION,
      },
    },
  };

  const policies: KubeObject[] = [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('default-deny', 'policy'),
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('dns', 'policy'),
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [{ ipBlock: { cidr: `${settings.dnsAddress}/32` } }],
            ports: [
              { protocol: 'UDP', port: 53 },
              { protocol: 'TCP', port: 53 },
            ],
          },
        ],
      },
    },
    ...plan.networks.map((n): KubeObject => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(`net-${n.name}`, 'policy', { [KUBE_LABEL.network]: n.name }),
      spec: {
        podSelector: { matchLabels: { [networkLabel(n.name)]: 'true' } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [{ podSelector: { matchLabels: { [networkLabel(n.name)]: 'true' } } }] }],
        egress: [{ to: [{ podSelector: { matchLabels: { [networkLabel(n.name)]: 'true' } } }] }],
      },
    })),
  ];

  const grant: KubeObject | undefined = settings.teamAccess && {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta(TEAM_ACCESS_BINDING, 'access'),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: settings.teamAccess.role },
    subjects: [
      settings.teamAccess.subject.kind === 'User'
        ? { apiGroup: 'rbac.authorization.k8s.io', ...settings.teamAccess.subject }
        : settings.teamAccess.subject,
    ],
  };

  const account: KubeObject = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta(SERVICE_ACCOUNT, 'account'),
    automountServiceAccountToken: false,
  };

  const sum = (f: (h: PlannedHost) => number) => plan.hosts.reduce((s, h) => s + f(h), 0);
  const max = (f: (h: PlannedHost) => number) => Math.max(0, ...plan.hosts.map(f));
  const quota: KubeObject = {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: meta('team', 'quota'),
    spec: {
      hard: {
        pods: String(plan.hosts.length),
        'limits.cpu': milli(sum((h) => h.resources.cpu)),
        'limits.memory': String(sum((h) => h.resources.memoryBytes)),
        'limits.ephemeral-storage': String(sum((h) => h.resources.diskBytes)),
        'requests.cpu': milli(sum((h) => requests(h).cpu)),
        'requests.memory': String(sum((h) => requests(h).memory)),
        'requests.ephemeral-storage': String(sum((h) => requests(h).disk)),
        services: String(servicesOf(plan).length + 1),
        secrets: String(plan.hosts.filter((h) => h.files.length > 0).length),
        configmaps: '1',
        persistentvolumeclaims: '0',
        'services.loadbalancers': '0',
        'services.nodeports': '0',
      },
    },
  };
  const limits: KubeObject = {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: meta('team', 'limits'),
    spec: {
      limits: [
        {
          type: 'Container',
          max: {
            cpu: milli(max((h) => h.resources.cpu)),
            memory: String(max((h) => h.resources.memoryBytes)),
            'ephemeral-storage': String(max((h) => h.resources.diskBytes)),
          },
          default: {
            cpu: milli(Math.min(...plan.hosts.map((h) => h.resources.cpu))),
            memory: String(Math.min(...plan.hosts.map((h) => h.resources.memoryBytes))),
            'ephemeral-storage': String(Math.min(...plan.hosts.map((h) => h.resources.diskBytes))),
          },
          defaultRequest: { cpu: '10m', memory: String(16 << 20), 'ephemeral-storage': String(16 << 20) },
        },
      ],
    },
  };

  const services: KubeObject[] = [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(HOSTS_SERVICE, 'dns'),
      spec: { clusterIP: 'None', selector: hostsSelector, publishNotReadyAddresses: true },
    },
    ...servicesOf(plan).map(({ name, host }): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(name, 'dns', { [KUBE_LABEL.host]: host }),
      spec: {
        clusterIP: 'None',
        selector: { ...hostsSelector, [KUBE_LABEL.host]: host },
        publishNotReadyAddresses: true,
      },
    })),
  ];

  const searches = [`${HOSTS_SERVICE}.${ns}.svc.${domain}`];
  const uses = addressUses(plan);
  const pods = plan.hosts.map((host) => {
    const late = host.files.flatMap((f, i) =>
      uses.some((u) => u.kind === 'file' && u.in?.host === host.name && u.in.file === f.path) ? [i] : [],
    );
    const secret = host.files.length
      ? filesSecret(host, meta(`files-${host.name}`, 'files'), late)
      : undefined;
    const pod = hostPod(host, settings, ns, base, searches, secret);
    return { host: host.name, hash: pod.hash, pod: pod.object, late, ...(secret ? { secret } : {}) };
  });
  return {
    namespace: ns,
    podSecurityLevel: level,
    setup: [namespace, ...policies, account, quota, limits, ...services],
    ...(grant ? { grant } : {}),
    pods,
  };
}

/** Requests (what the scheduler reserves): a fraction of the limits, as Docker reserves nothing. */
function requests(h: PlannedHost): { cpu: number; memory: number; disk: number } {
  return {
    cpu: Math.max(0.01, Math.floor((h.resources.cpu * 1000) / 8) / 1000),
    memory: Math.floor(h.resources.memoryBytes / 4),
    disk: Math.floor(h.resources.diskBytes / 8),
  };
}

function milli(cpu: number): string {
  return `${Math.round(cpu * 1000)}m`;
}

/** A name that can be a Service (an RFC 1035 label); other aliases (`db.internal`) go to /etc/hosts. */
const SERVICE_NAME = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Extra headless Services so that a host's other names (plan name, aliases) resolve to its pod. */
function servicesOf(plan: EnvironmentPlan): { name: string; host: string }[] {
  const taken = new Set<string>([HOSTS_SERVICE]);
  const hostnames = new Set(plan.hosts.map((h) => h.hostname));
  const out: { name: string; host: string }[] = [];
  for (const host of plan.hosts) {
    const names = [host.name, ...host.networks.flatMap((n) => n.aliases)];
    for (const name of names) {
      // A host's own hostname resolves through the `hosts` Service and the search path.
      if (name === host.hostname || taken.has(name) || hostnames.has(name) || !SERVICE_NAME.test(name))
        continue;
      taken.add(name);
      out.push({ name, host: host.name });
    }
  }
  return out;
}

/**
 * Aliases that cannot be Services (dotted names such as `db.internal`): the driver writes them into
 * every pod's /etc/hosts once the pods have addresses (late-bound), and again after a host reset.
 */
export function hostsFileAliases(plan: EnvironmentPlan): { alias: string; host: string }[] {
  const out: { alias: string; host: string }[] = [];
  for (const host of plan.hosts)
    for (const alias of new Set(host.networks.flatMap((n) => n.aliases)))
      if (!SERVICE_NAME.test(alias) && !out.some((o) => o.alias === alias))
        out.push({ alias, host: host.name });
  return out;
}

/**
 * Capabilities the engine itself needs in a host beyond the scenario's: the exec API has no user
 * field, so commands and shells switch user inside the pod (setpriv: SETUID, SETGID) after giving
 * the user its terminal or pipes, as runc does for Docker's exec (CHOWN; without it `/dev/tty`,
 * `/dev/stderr` and ssh's password prompt fail), and files are given their owner there (CHOWN too).
 * The host's own process drops them from its bounding set before the scenario's command starts
 * (SETPCAP), so only what the engine runs by exec holds them.
 */
export function engineCapabilities(host: PlannedHost): string[] {
  const needed = ['SETGID', 'SETUID', 'CHOWN'];
  const extra = needed.filter((c) => !host.capabilities.includes(c));
  if (extra.length && !host.capabilities.includes('SETPCAP')) extra.push('SETPCAP');
  return extra;
}

/**
 * The host's files as a Secret: `f<i>` keys, plus `manifest` (one line per file: key, mode, owner,
 * path). A file in `late` is listed as `@f<i>`: its content (with the addresses the pods got) comes
 * from LATE_FILES_DIR; the Secret keeps the planned one.
 */
function filesSecret(
  host: PlannedHost,
  metadata: KubeObject['metadata'],
  late: readonly number[],
): KubeObject {
  const data: Record<string, string> = {};
  const lines: string[] = [];
  host.files.forEach((f, i) => {
    data[`f${i}`] = f.encoding === 'base64' ? f.content : Buffer.from(f.content, 'utf8').toString('base64');
    lines.push(
      `${late.includes(i) ? '@' : ''}f${i} ${f.mode.toString(8).padStart(4, '0')} ${f.owner ?? '-'} ${f.path}`,
    );
  });
  data['manifest'] = Buffer.from(lines.join('\n') + '\n', 'utf8').toString('base64');
  const bytes = Object.values(data).reduce((s, v) => s + (v.length * 3) / 4, 0);
  if (bytes > SECRET_MAX_BYTES)
    throw new CyropError(
      'SCENARIO_INVALID',
      `host '${host.name}': its files take ${Math.round(bytes)} bytes; Kubernetes carries at most ${SECRET_MAX_BYTES} per host (a Secret)`,
    );
  return { apiVersion: 'v1', kind: 'Secret', metadata, type: 'Opaque', immutable: false, data };
}

const SECRET_MAX_BYTES = 1024 * 1024 - 4096;

/**
 * The host's first process (`sh -c HOST_INIT cyrop-init DROP COMMAND…`): copies the host's files from
 * the Secret (read-only, at FILES_MOUNT) to their paths, writable, with their modes and owners as on
 * Docker; drops the engine's own capabilities (DROP, e.g. `-setuid,-setgid,-setpcap`) from its
 * bounding set; then execs the scenario's command.
 */
export const HOST_INIT = `set -e
[ "$(stat -c %a /)" != 700 ] || chmod 755 / 2>/dev/null || true
# Root here has no CAP_DAC_OVERRIDE (nor, in the commands the driver runs later, any capability the
# scenario did not grant): where it may not write (a trainee's home), the file is written as the
# owner of the place, then given to root (or its planned owner) with CHOWN, as Docker's copy does.
# Files that spell host addresses (\`@\` keys) are written by the driver once the pods have theirs.
if [ -f ${FILES_MOUNT}/manifest ] && grep -q '^@' ${FILES_MOUNT}/manifest; then
  while [ ! -e ${LATE_FILES_DIR}/ready ]; do sleep 0.2; done
fi
[ ! -f ${FILES_MOUNT}/manifest ] || while read -r key mode owner path; do
  [ -n "$key" ] || continue
  src=${FILES_MOUNT}/$key
  case $key in @*) key=\${key#@}; src=${LATE_FILES_DIR}/$key ;; esac
  place=$path
  [ -e "$place" ] || place=$(dirname "$path")
  while [ ! -e "$place" ]; do place=$(dirname "$place"); done
  if [ -w "$place" ]; then
    mkdir -p "$(dirname "$path")"
    cat "$src" > "$path"
  else
    setpriv --reuid="$(stat -c %u "$place")" --regid="$(stat -c %g "$place")" --clear-groups -- \\
      /bin/sh -c 'mkdir -p "$(dirname "$1")" && cat "$2" > "$1"' cyrop-file "$path" "$src"
    [ "$owner" != - ] || owner=0:0
  fi
  # chmod is the owner's: before giving a root file away, after taking one back.
  if [ "$(stat -c %u "$path")" = 0 ]; then
    chmod "$mode" "$path"
    if [ "$owner" != - ]; then chown "$owner" "$path"; fi
  else
    chown "$owner" "$path"
    chmod "$mode" "$path"
  fi
done < ${FILES_MOUNT}/manifest
mkdir -p "$(dirname ${INSTALLED_MARK})" && : > ${INSTALLED_MARK}
drop=$1; shift
if [ -n "$drop" ]; then exec setpriv --bounding-set="$drop" -- "$@"; fi
exec "$@"`;

/** Readiness on a TCP port, read from the kernel's socket tables (no traffic from the node needed). */
export function tcpReadyCommand(port: number): string[] {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return [
    '/bin/sh',
    '-c',
    `grep -Eq '^ *[0-9]+: [0-9A-F]+:${hex} [0-9A-F]+:[0-9A-F]+ 0A ' /proc/net/tcp /proc/net/tcp6`,
  ];
}

/** `cyrop/target:1` → `<registry>/cyrop/target:1` (or `@sha256:…` when the digest is known). */
export function imageReference(image: string, settings: KubernetesSettings): string {
  const digest = settings.digests?.[image];
  const name = digest ? `${image.replace(/:[^/:]+$/, '')}@${digest}` : image;
  return settings.registry ? `${settings.registry.replace(/\/+$/, '')}/${name}` : name;
}

function hostPod(
  host: PlannedHost,
  settings: KubernetesSettings,
  ns: string,
  base: Record<string, string>,
  searches: string[],
  secret: KubeObject | undefined,
): { object: KubeObject; hash: string } {
  const command = [...(host.entrypoint ?? []), ...(host.command ?? [])];
  const extra = engineCapabilities(host);
  const drop = extra.map((c) => `-${c.toLowerCase()}`).join(',');
  // Without a command (the image's own), there is nothing to wrap: the extra capabilities stay.
  const wrapped =
    command.length && (secret || drop)
      ? ['/bin/sh', '-c', HOST_INIT, 'cyrop-init', drop, ...command]
      : undefined;
  const req = requests(host);
  const ready = host.ready;
  const planned = ready ? (ready.tcp !== undefined ? tcpReadyCommand(ready.tcp) : ready.exec) : undefined;
  // A host whose first process installs files is ready only once they are in place.
  const probeCommand = wrapped
    ? planned
      ? ['/bin/sh', '-c', `test -e ${INSTALLED_MARK} && exec "$@"`, 'cyrop-ready', ...planned]
      : ['test', '-e', INSTALLED_MARK]
    : planned;
  const container: Record<string, unknown> = {
    name: 'host',
    image: imageReference(host.image, settings),
    imagePullPolicy: settings.imagePullPolicy ?? 'IfNotPresent',
    ...(wrapped
      ? { command: wrapped }
      : {
          ...(host.entrypoint ? { command: host.entrypoint } : {}),
          ...(host.command ? { [host.entrypoint ? 'args' : 'command']: host.command } : {}),
        }),
    ...(host.workdir ? { workingDir: host.workdir } : {}),
    env: Object.entries(host.env).map(([name, value]) => ({ name, value })),
    resources: {
      limits: {
        cpu: milli(host.resources.cpu),
        memory: String(host.resources.memoryBytes),
        'ephemeral-storage': String(host.resources.diskBytes),
      },
      requests: {
        cpu: milli(req.cpu),
        memory: String(req.memory),
        'ephemeral-storage': String(req.disk),
      },
    },
    securityContext: {
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'], add: [...host.capabilities, ...extra] },
      ...(host.user ? { runAsUser: Number(host.user) } : {}),
    },
    ...(probeCommand
      ? {
          readinessProbe: {
            exec: { command: probeCommand },
            periodSeconds: 1,
            timeoutSeconds: 5,
            failureThreshold: 1,
            successThreshold: 1,
          },
        }
      : {}),
    ...(secret ? { volumeMounts: [{ name: 'files', mountPath: FILES_MOUNT, readOnly: true }] } : {}),
    terminationMessagePolicy: 'FallbackToLogsOnError',
    stdin: false,
    tty: false,
  };
  const spec: Record<string, unknown> = {
    hostname: host.hostname,
    subdomain: HOSTS_SERVICE,
    serviceAccountName: SERVICE_ACCOUNT,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    // The pause process is PID 1 and reaps orphans, as Docker's `--init` does.
    shareProcessNamespace: true,
    restartPolicy: 'Never',
    terminationGracePeriodSeconds: 2,
    dnsPolicy: 'ClusterFirst',
    dnsConfig: { searches, options: [{ name: 'ndots', value: '2' }] },
    securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
    containers: [container],
    ...(secret
      ? {
          volumes: [
            {
              name: 'files',
              projected: {
                defaultMode: 0o400,
                sources: [
                  {
                    secret: {
                      name: secret.metadata.name,
                      items: [
                        ...host.files.map((f, i) => ({
                          key: `f${i}`,
                          path: `f${i}`,
                          mode: 0o400 | (f.mode & 0o777),
                        })),
                        { key: 'manifest', path: 'manifest', mode: 0o400 },
                      ],
                    },
                  },
                ],
              },
            },
          ],
        }
      : {}),
  };
  const hash = createHash('sha256')
    .update(canonicalJson({ spec, secret: secret ? (secret as { data?: unknown }).data : null }))
    .digest('hex')
    .slice(0, 40);
  const labels: Record<string, string> = {
    ...base,
    [KUBE_LABEL.role]: 'host',
    [KUBE_LABEL.host]: host.name,
    [KUBE_LABEL.hostHash]: hash,
    ...Object.fromEntries(host.networks.map((n) => [networkLabel(n.name), 'true'])),
  };
  return {
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: podName(host.name),
        namespace: ns,
        labels,
        annotations: {
          'cyrop.io/plan-host-hash': host.hash,
          'cyrop.io/pids-limit': String(host.resources.pids),
        },
      },
      spec,
    },
    hash,
  };
}

/** What Kubernetes cannot run as planned: refused with the host and field named. */
function checkPlan(plan: EnvironmentPlan): void {
  const grantable = new Set(GRANTABLE_CAPABILITIES);
  for (const host of plan.hosts) {
    const where = `${plan.scenario.id} host '${host.name}'`;
    const refused = host.capabilities.filter((c) => !grantable.has(c));
    if (refused.length)
      throw new CyropError(
        'SCENARIO_INVALID',
        `${where}: capabilities ${refused.join(', ')} cannot be granted on Kubernetes (grantable: ${GRANTABLE_CAPABILITIES.join(', ')})`,
        { details: { host: host.name, capabilities: refused } },
      );
    if (host.user !== undefined && !/^\d+$/.test(host.user))
      throw new CyropError(
        'SCENARIO_INVALID',
        `${where}: user '${host.user}' must be a numeric uid on Kubernetes (a pod runs as a uid, not a name)`,
        { details: { host: host.name, user: host.user } },
      );
    if (host.files.length && host.user !== undefined && host.user !== '0')
      throw new CyropError(
        'SCENARIO_INVALID',
        `${where}: runs as uid ${host.user} and has files; on Kubernetes files are installed by the host's own first process, which must then run as root`,
        { details: { host: host.name } },
      );
    if (host.files.length && !host.command && !host.entrypoint)
      throw new CyropError(
        'SCENARIO_INVALID',
        `${where}: has files but no command; on Kubernetes the files are installed before the command, which must then be named in the scenario`,
        { details: { host: host.name } },
      );
    if (!/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/.test(host.name))
      throw new CyropError(
        'SCENARIO_INVALID',
        `${where}: the name must be a DNS label starting with a letter on Kubernetes`,
      );
  }
}
