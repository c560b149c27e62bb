import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { parseCidr } from '../compiler/ipv4.ts';
import { DURATION_PATTERN, parseDuration, parseMemory } from '../compiler/durations.ts';
import { CyropError } from '../errors.ts';
import { REPO_ROOT } from '../paths.ts';
import { canonicalTimeZone, DEFAULT_TIME_ZONE } from '../time-zone.ts';

/** Where the repository (and so the shipped scenario catalogue) is. */
export { REPO_ROOT };

export interface Config {
  /** Address the platform server binds to; loopback unless told otherwise. */
  host: string;
  port: number;
  /** Where catalogues, the database and recordings live. */
  dataDir: string;
  /** The scenario catalogue served and listed. */
  scenariosDir: string;
  /** The pool team subnets are carved from. */
  subnetPool: string;
  /** Where scenarios may fix their own subnets (`networks[].subnet`); empty: fixed subnets are refused at launch. */
  fixedSubnetPools: string[];
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * The engine environments run on: `docker` (the single-host default), `kubernetes` (a cluster: see
   * the `kube*` keys) or `none` (catalogue only). runtime/select-driver.ts builds the driver from it.
   */
  engine: 'docker' | 'kubernetes' | 'none';
  /** Kubernetes: the kubeconfig file; undefined: the standard lookup ($KUBECONFIG, ~/.kube/config) or, in a pod, its service account. */
  kubeconfig: string | undefined;
  /** Kubernetes: the kubeconfig context to use; undefined: its current context. */
  kubeContext: string | undefined;
  /** Kubernetes: what every team namespace's name starts with, so that an installation's are recognisable. */
  kubeNamespacePrefix: string;
  /** Running in a pod without a kubeconfig named: the cluster is reached with the pod's service account. */
  kubeInCluster: boolean;
  /** Where the engine pulls scenario images from (`HOST[:PORT]/PATH`); undefined: images are local to the engine. */
  imageRegistry: string | undefined;
  /** Kubernetes: the address pods resolve names with; undefined: the endpoints of kube-system/kube-dns. */
  kubeDns: string | undefined;
  /**
   * Kubernetes: a ClusterRole the driver binds to itself in each team namespace it creates (a
   * RoleBinding), so that its rights on pods, Secrets… hold there and nowhere else; undefined: none
   * (its credentials already hold them, e.g. an administrator's kubeconfig).
   */
  kubeTeamRole: string | undefined;
  /** Kubernetes: requests per second the platform sends the API server on average (client-side limit). */
  kubeQps: number;
  /** Kubernetes: requests the platform may send at once above that average (the limiter's bucket). */
  kubeBurst: number;
  /** Teams provisioned (and reconciled, torn down) at once by a launch, reconcile or teardown. */
  launchConcurrency: number;
  /** How often the server reconciles the engine with the store (ms). */
  reconcileIntervalMs: number;
  /** How long a terminal's shell outlives its owner's dropped connection (ms). */
  terminalGraceMs: number;
  /** The size at which a terminal recording stops (bytes). */
  recordingMaxBytes: number;
  /** Live terminals one user (or one participant) may hold at once. */
  terminalsPerPrincipal: number;
  /** Live terminals of one team at once, whoever opened them. */
  terminalsPerTeam: number;
  /** Live terminals of one exercise at once, staff's included. */
  terminalsPerExercise: number;
  /** Bytes per second one participant may type or paste into terminals (a burst of 4 s is allowed). */
  terminalInputBytesPerSecond: number;
  /** Bytes per second all the participants of one exercise may send to terminals together (burst 4 s). */
  exerciseTerminalInputBytesPerSecond: number;
  /**
   * Which proxies' `X-Forwarded-For` to believe for the client address (throttling, audit): false
   * (none, the default), a hop count, or addresses/subnets (`loopback`, `uniquelocal` allowed).
   */
  trustProxy: false | number | string[];
  /**
   * The origins browsers reach the platform at (`https://range.example.org`); the Host and Origin
   * of state-changing requests and socket handshakes must match one. Undefined: the loopback
   * origins of the port it listens on (and `http://<host>:<port>` for a specific bind address).
   */
  publicOrigins: string[] | undefined;
  /**
   * The port of the web service listener (trainees' web applications, proxied into team networks),
   * a distinct origin from the console's; 0 picks a free one; `off` (undefined) serves no web services.
   * Default: the console's port + 1 (0 when the console's is 0).
   */
  webPort: number | undefined;
  /**
   * The origin browsers reach the web service listener at (`https://web.range.example.org`); must
   * differ from every public origin of the console. Default: `http://<host>:<webPort>`.
   */
  webOrigin: string | undefined;
  /** A bearer token that lets a scraper read /metrics (operators may with their session). */
  metricsToken: string | undefined;
  /** The most one scenario host may write on top of its image (`resources.disk`, bytes). */
  hostDiskMaxBytes: number;
  /** `enforce`: no environment is provisioned on an engine that cannot cap disk use; `off`: without the cap. */
  diskLimits: 'enforce' | 'off';
  /** Platform default quotas of an organisation (the operator may set others per organisation): live exercises. */
  quotaExercises: number;
  /** Teams over an organisation's live exercises. */
  quotaTeams: number;
  /** Hosts over an organisation's live exercises (teams × hosts). */
  quotaHosts: number;
  /** CPUs the hosts of an organisation's live exercises may reserve together. */
  quotaCpu: number;
  /** Memory (bytes) the hosts of an organisation's live exercises may reserve together. */
  quotaMemoryBytes: number;
  /** Disk (bytes, `resources.disk`) the hosts of an organisation's live exercises may reserve together. */
  quotaDiskBytes: number;
  /** The lifetime of an exercise launched without a ttl (ms). */
  exerciseTtlDefaultMs: number;
  /** The longest an exercise may live from its creation, extensions included (ms). */
  exerciseTtlMaxMs: number;
  /** Least time between two help requests of one team (0: none). Default 60 s. */
  helpRequestIntervalMs: number;
  /**
   * The platform's reporting time zone (IANA name): the calendar of statements and invoices (issue
   * dates, months that have ended, ageing), transcripts, and `YYYY-MM-DD` bounds of usage periods and
   * course runs. Default Asia/Tokyo.
   */
  timeZone: string;
}

/** The engine settings the Kubernetes driver is built from (runtime/select-driver.ts). */
export interface KubernetesEngineSettings {
  /** A kubeconfig file; absent: the standard lookup ($KUBECONFIG, then ~/.kube/config). */
  kubeconfig?: string;
  /** A context of the kubeconfig; absent: its current context. */
  context?: string;
  /** What every team namespace's name starts with (`cyrop-`). */
  namespacePrefix: string;
  /** `HOST[:PORT]/PATH` scenario images are pulled from; absent: image names are used as written. */
  registry?: string;
  /** Use the pod's service account (running in the cluster, no kubeconfig named). */
  inCluster: boolean;
  /** The address pods resolve names with; absent: the endpoints of kube-system/kube-dns. */
  dnsAddress?: string;
  /** The ClusterRole the driver binds to itself in each team namespace; absent: none. */
  teamRole?: string;
  /** The client-side rate limit towards the API server: requests per second, and the burst above it. */
  qps: number;
  burst: number;
}

/** The Kubernetes settings of a configuration. */
export function kubernetesSettings(config: Config): KubernetesEngineSettings {
  return {
    ...(config.kubeconfig ? { kubeconfig: config.kubeconfig } : {}),
    ...(config.kubeContext ? { context: config.kubeContext } : {}),
    namespacePrefix: config.kubeNamespacePrefix,
    ...(config.imageRegistry ? { registry: config.imageRegistry } : {}),
    inCluster: config.kubeInCluster,
    ...(config.kubeDns ? { dnsAddress: config.kubeDns } : {}),
    ...(config.kubeTeamRole ? { teamRole: config.kubeTeamRole } : {}),
    qps: config.kubeQps,
    burst: config.kubeBurst,
  };
}

/** Where a pod finds its service account token (the in-cluster configuration). */
const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

const VARIABLES: Record<Exclude<keyof Config, 'kubeInCluster'>, { env: string; describe: string }> = {
  host: { env: 'CYROP_HOST', describe: 'an IP address or host name to listen on' },
  port: { env: 'CYROP_PORT', describe: 'a TCP port from 0 to 65535 (0 picks a free one)' },
  dataDir: { env: 'CYROP_DATA_DIR', describe: 'a folder path' },
  scenariosDir: { env: 'CYROP_SCENARIOS_DIR', describe: 'a folder path' },
  subnetPool: { env: 'CYROP_SUBNET_POOL', describe: 'an IPv4 CIDR block such as 10.200.0.0/16' },
  fixedSubnetPools: {
    env: 'CYROP_FIXED_SUBNET_POOLS',
    describe: 'IPv4 CIDR blocks separated by commas, such as 10.20.0.0/16,192.168.50.0/24',
  },
  logLevel: { env: 'CYROP_LOG_LEVEL', describe: 'one of fatal, error, warn, info, debug, trace, silent' },
  engine: { env: 'CYROP_ENGINE', describe: 'docker, kubernetes or none' },
  kubeconfig: { env: 'CYROP_KUBECONFIG', describe: 'the path of a kubeconfig file' },
  kubeContext: {
    env: 'CYROP_KUBE_CONTEXT',
    describe: 'the name of a context of the kubeconfig (letters, digits, . _ : @ / -)',
  },
  kubeNamespacePrefix: {
    env: 'CYROP_KUBE_NAMESPACE_PREFIX',
    describe:
      'from 1 to 16 lowercase letters, digits or hyphens, starting with a letter and ending with a letter, a digit or one hyphen, such as cyrop-',
  },
  kubeDns: {
    env: 'CYROP_KUBE_DNS',
    describe: "the IPv4 address of the cluster's DNS server (default: the endpoints of kube-system/kube-dns)",
  },
  kubeTeamRole: {
    env: 'CYROP_KUBE_TEAM_ROLE',
    describe: 'the name of a ClusterRole (lowercase letters, digits, hyphens, dots and colons)',
  },
  kubeQps: { env: 'CYROP_KUBE_QPS', describe: 'a whole number of requests per second from 1 to 10000' },
  kubeBurst: { env: 'CYROP_KUBE_BURST', describe: 'a whole number of requests from 1 to 20000' },
  launchConcurrency: {
    env: 'CYROP_LAUNCH_CONCURRENCY',
    describe: 'a whole number of teams from 1 to 1000',
  },
  imageRegistry: {
    env: 'CYROP_IMAGE_REGISTRY',
    describe: 'HOST[:PORT][/PATH] such as registry.example.org:5000/cyrop (no scheme)',
  },
  reconcileIntervalMs: {
    env: 'CYROP_RECONCILE_SECONDS',
    describe: 'a whole number of seconds from 5 to 86400',
  },
  terminalGraceMs: {
    env: 'CYROP_TERMINAL_GRACE_SECONDS',
    describe: 'a whole number of seconds from 0 to 86400',
  },
  recordingMaxBytes: {
    env: 'CYROP_RECORDING_MAX_BYTES',
    describe: 'a whole number of bytes from 65536 to 1073741824',
  },
  terminalsPerPrincipal: {
    env: 'CYROP_TERMINALS_PER_PRINCIPAL',
    describe: 'a whole number from 1 to 1000',
  },
  terminalsPerTeam: { env: 'CYROP_TERMINALS_PER_TEAM', describe: 'a whole number from 1 to 100000' },
  terminalsPerExercise: { env: 'CYROP_TERMINALS_PER_EXERCISE', describe: 'a whole number from 1 to 100000' },
  terminalInputBytesPerSecond: {
    env: 'CYROP_TERMINAL_INPUT_BYTES_PER_SECOND',
    describe: 'a whole number of bytes from 1 to 9999999',
  },
  exerciseTerminalInputBytesPerSecond: {
    env: 'CYROP_EXERCISE_TERMINAL_INPUT_BYTES_PER_SECOND',
    describe: 'a whole number of bytes from 1 to 9999999',
  },
  trustProxy: {
    env: 'CYROP_TRUST_PROXY',
    describe:
      'false, a hop count from 1 to 10, or a comma-separated list of proxy addresses/subnets (loopback, linklocal, uniquelocal allowed); not true (anyone could pick their address)',
  },
  webPort: {
    env: 'CYROP_WEB_PORT',
    describe: 'a TCP port from 0 to 65535 (0 picks a free one), or off',
  },
  webOrigin: {
    env: 'CYROP_WEB_ORIGIN',
    describe:
      "an origin such as https://web.range.example.org (scheme, host, optional port; no path), other than the console's",
  },
  publicOrigins: {
    env: 'CYROP_PUBLIC_ORIGINS',
    describe:
      'a comma-separated list of origins such as https://range.example.org (scheme, host, optional port; no path)',
  },
  metricsToken: {
    env: 'CYROP_METRICS_TOKEN',
    describe: 'at least 32 printable ASCII characters without spaces',
  },
  hostDiskMaxBytes: {
    env: 'CYROP_HOST_DISK_MAX',
    describe: 'a size from 16Mi to 1024Gi such as 10Gi (Ki, Mi or Gi)',
  },
  diskLimits: { env: 'CYROP_DISK_LIMITS', describe: 'enforce or off' },
  quotaExercises: { env: 'CYROP_QUOTA_EXERCISES', describe: 'a whole number from 1 to 10000' },
  quotaTeams: { env: 'CYROP_QUOTA_TEAMS', describe: 'a whole number from 1 to 100000' },
  quotaHosts: { env: 'CYROP_QUOTA_HOSTS', describe: 'a whole number from 1 to 1000000' },
  quotaCpu: { env: 'CYROP_QUOTA_CPU', describe: 'a number of CPUs from 0.1 to 100000 such as 16 or 2.5' },
  quotaMemoryBytes: { env: 'CYROP_QUOTA_MEMORY', describe: 'a size from 64Mi such as 256Gi (Ki, Mi or Gi)' },
  quotaDiskBytes: { env: 'CYROP_QUOTA_DISK', describe: 'a size from 64Mi such as 1024Gi (Ki, Mi or Gi)' },
  exerciseTtlDefaultMs: {
    env: 'CYROP_EXERCISE_TTL',
    describe: 'a duration from 1m to the maximum such as 4h (ms, s, m, h, d)',
  },
  exerciseTtlMaxMs: { env: 'CYROP_EXERCISE_TTL_MAX', describe: 'a duration from 1m to 365d such as 7d' },
  helpRequestIntervalMs: {
    env: 'CYROP_HELP_REQUEST_INTERVAL',
    describe: 'a duration up to 1h such as 60s or 5m, or 0 for none (ms, s, m, h)',
  },
  timeZone: {
    env: 'CYROP_TIME_ZONE',
    describe: 'an IANA time zone name such as Asia/Tokyo or UTC (not an offset)',
  },
};

/**
 * The one place that reads process.env. Every problem is listed at once; nothing starts on a bad config.
 * `overrides` (from command-line flags) win over the environment.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const problems: string[] = [];
  const raw = (key: keyof typeof VARIABLES): string | undefined => {
    const value = env[VARIABLES[key].env];
    return value === undefined || value === '' ? undefined : value;
  };
  const cwd = process.cwd();
  const portText = raw('port');
  let port = overrides.port ?? 8420;
  if (overrides.port === undefined && portText !== undefined) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    problems.push(
      `${VARIABLES.port.env}=${portText ?? String(overrides.port)}: must be ${VARIABLES.port.describe}`,
    );
  }
  const logLevel = (overrides.logLevel ?? raw('logLevel') ?? 'info') as Config['logLevel'];
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    problems.push(`${VARIABLES.logLevel.env}=${logLevel}: must be ${VARIABLES.logLevel.describe}`);
  }
  const subnetPool = overrides.subnetPool ?? raw('subnetPool') ?? '10.200.0.0/16';
  if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(subnetPool)) {
    problems.push(`${VARIABLES.subnetPool.env}=${subnetPool}: must be ${VARIABLES.subnetPool.describe}`);
  }
  const fixedText = raw('fixedSubnetPools');
  const fixedSubnetPools =
    overrides.fixedSubnetPools ??
    (fixedText ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '');
  for (const pool of fixedSubnetPools) {
    const parsed = parseCidr(pool);
    if (!parsed.cidr)
      problems.push(
        `${VARIABLES.fixedSubnetPools.env}=${fixedText ?? ''}: '${pool}' ${parsed.problem ?? 'is invalid'}; must be ${VARIABLES.fixedSubnetPools.describe}`,
      );
  }
  const host = overrides.host ?? raw('host') ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:-]+$/.test(host))
    problems.push(`${VARIABLES.host.env}=${host}: must be ${VARIABLES.host.describe}`);
  const engineText: string = overrides.engine ?? raw('engine') ?? 'docker';
  const engine = engineText === 'none' || engineText === 'kubernetes' ? engineText : 'docker';
  if (engineText !== engine)
    problems.push(`${VARIABLES.engine.env}=${engineText}: must be ${VARIABLES.engine.describe}`);
  const kubeconfigText = overrides.kubeconfig ?? raw('kubeconfig');
  const kubeconfig = kubeconfigText === undefined ? undefined : path.resolve(cwd, kubeconfigText);
  if (kubeconfig !== undefined && !existsSync(kubeconfig))
    problems.push(
      `${VARIABLES.kubeconfig.env}=${kubeconfigText ?? ''}: no such file; must be ${VARIABLES.kubeconfig.describe}`,
    );
  const kubeContext = overrides.kubeContext ?? raw('kubeContext');
  if (kubeContext !== undefined && !/^[A-Za-z0-9._:@/-]{1,253}$/.test(kubeContext))
    problems.push(`${VARIABLES.kubeContext.env}=${kubeContext}: must be ${VARIABLES.kubeContext.describe}`);
  const kubeNamespacePrefix = overrides.kubeNamespacePrefix ?? raw('kubeNamespacePrefix') ?? 'cyrop-';
  if (!/^[a-z]([a-z0-9-]{0,14}[a-z0-9])?-?$/.test(kubeNamespacePrefix) || kubeNamespacePrefix.length > 16)
    problems.push(
      `${VARIABLES.kubeNamespacePrefix.env}=${kubeNamespacePrefix}: must be ${VARIABLES.kubeNamespacePrefix.describe}`,
    );
  // In a pod (the service's environment and the mounted token), with no kubeconfig named.
  const kubeInCluster =
    overrides.kubeInCluster ??
    (kubeconfig === undefined &&
      env.KUBERNETES_SERVICE_HOST !== undefined &&
      env.KUBECONFIG === undefined &&
      existsSync(SERVICE_ACCOUNT_TOKEN));
  const kubeDns = overrides.kubeDns ?? raw('kubeDns');
  if (kubeDns !== undefined && isIP(kubeDns) !== 4)
    problems.push(`${VARIABLES.kubeDns.env}=${kubeDns}: must be ${VARIABLES.kubeDns.describe}`);
  const kubeTeamRole = overrides.kubeTeamRole ?? raw('kubeTeamRole');
  if (kubeTeamRole !== undefined && !/^[a-z0-9]([a-z0-9.:-]{0,251}[a-z0-9])?$/.test(kubeTeamRole))
    problems.push(
      `${VARIABLES.kubeTeamRole.env}=${kubeTeamRole}: must be ${VARIABLES.kubeTeamRole.describe}`,
    );
  const imageRegistry = (overrides.imageRegistry ?? raw('imageRegistry'))?.replace(/\/+$/, '');
  if (
    imageRegistry !== undefined &&
    !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/i.test(imageRegistry)
  )
    problems.push(
      `${VARIABLES.imageRegistry.env}=${imageRegistry}: must be ${VARIABLES.imageRegistry.describe}`,
    );
  const reconcileText = raw('reconcileIntervalMs');
  const reconcileSeconds =
    reconcileText === undefined ? 60 : /^\d{1,5}$/.test(reconcileText) ? Number(reconcileText) : Number.NaN;
  if (!(reconcileSeconds >= 5 && reconcileSeconds <= 86_400)) {
    problems.push(
      `${VARIABLES.reconcileIntervalMs.env}=${reconcileText ?? ''}: must be ${VARIABLES.reconcileIntervalMs.describe}`,
    );
  }
  const graceText = raw('terminalGraceMs');
  const graceSeconds =
    graceText === undefined ? 60 : /^\d{1,5}$/.test(graceText) ? Number(graceText) : Number.NaN;
  if (!(graceSeconds >= 0 && graceSeconds <= 86_400)) {
    problems.push(
      `${VARIABLES.terminalGraceMs.env}=${graceText ?? ''}: must be ${VARIABLES.terminalGraceMs.describe}`,
    );
  }
  const recordingText = raw('recordingMaxBytes');
  const recordingMaxBytes =
    overrides.recordingMaxBytes ??
    (recordingText === undefined
      ? 16 * 1024 * 1024
      : /^\d{1,10}$/.test(recordingText)
        ? Number(recordingText)
        : Number.NaN);
  if (!(recordingMaxBytes >= 65_536 && recordingMaxBytes <= 1_073_741_824)) {
    problems.push(
      `${VARIABLES.recordingMaxBytes.env}=${recordingText ?? String(recordingMaxBytes)}: must be ${VARIABLES.recordingMaxBytes.describe}`,
    );
  }
  const perPrincipalText = raw('terminalsPerPrincipal');
  const terminalsPerPrincipal =
    overrides.terminalsPerPrincipal ??
    (perPrincipalText === undefined
      ? 16
      : /^\d{1,4}$/.test(perPrincipalText)
        ? Number(perPrincipalText)
        : Number.NaN);
  if (!(terminalsPerPrincipal >= 1 && terminalsPerPrincipal <= 1000)) {
    problems.push(
      `${VARIABLES.terminalsPerPrincipal.env}=${perPrincipalText ?? String(terminalsPerPrincipal)}: must be ${VARIABLES.terminalsPerPrincipal.describe}`,
    );
  }
  const trustProxy = overrides.trustProxy ?? parseTrustProxy(raw('trustProxy'), problems);
  const publicOrigins = overrides.publicOrigins ?? parsePublicOrigins(raw('publicOrigins'), problems);
  const webPortText = raw('webPort');
  const webPort =
    'webPort' in overrides
      ? overrides.webPort
      : webPortText === undefined
        ? !Number.isInteger(port) || port === 0 || port >= 65535
          ? 0
          : port + 1
        : webPortText === 'off'
          ? undefined
          : /^\d{1,5}$/.test(webPortText) && Number(webPortText) <= 65535
            ? Number(webPortText)
            : NaN;
  if (webPort !== undefined && !(Number.isInteger(webPort) && webPort >= 0 && webPort <= 65535))
    problems.push(
      `${VARIABLES.webPort.env}=${webPortText ?? String(webPort)}: must be ${VARIABLES.webPort.describe}`,
    );
  const webOrigin = overrides.webOrigin ?? raw('webOrigin');
  if (webOrigin !== undefined) {
    const parsed = parsePublicOrigins(webOrigin, []) ?? [];
    if (parsed.length !== 1 || parsed[0] !== webOrigin.replace(/\/$/, ''))
      problems.push(`${VARIABLES.webOrigin.env}=${webOrigin}: must be ${VARIABLES.webOrigin.describe}`);
    else if (publicOrigins?.includes(parsed[0]))
      problems.push(
        `${VARIABLES.webOrigin.env}=${webOrigin}: must be ${VARIABLES.webOrigin.describe} (it is one of CYROP_PUBLIC_ORIGINS)`,
      );
  }
  const metricsToken = overrides.metricsToken ?? raw('metricsToken');
  if (metricsToken !== undefined && !/^[\x21-\x7e]{32,200}$/.test(metricsToken))
    problems.push(`${VARIABLES.metricsToken.env}=(redacted): must be ${VARIABLES.metricsToken.describe}`);
  const diskMaxText = raw('hostDiskMaxBytes');
  const hostDiskMaxBytes =
    overrides.hostDiskMaxBytes ?? (diskMaxText === undefined ? 10 * 1024 ** 3 : parseMemory(diskMaxText));
  if (!(hostDiskMaxBytes >= 16 * 1024 ** 2 && hostDiskMaxBytes <= 1024 ** 4)) {
    problems.push(
      `${VARIABLES.hostDiskMaxBytes.env}=${diskMaxText ?? String(hostDiskMaxBytes)}: must be ${VARIABLES.hostDiskMaxBytes.describe}`,
    );
  }
  const diskLimitsText: string = overrides.diskLimits ?? raw('diskLimits') ?? 'enforce';
  const diskLimits = diskLimitsText === 'off' ? 'off' : 'enforce';
  if (diskLimitsText !== diskLimits) {
    problems.push(`${VARIABLES.diskLimits.env}=${diskLimitsText}: must be ${VARIABLES.diskLimits.describe}`);
  }
  const whole = (key: keyof typeof VARIABLES, fallback: number, max: number): number => {
    const text = raw(key);
    const value =
      overrides[key] ?? (text === undefined ? fallback : /^\d{1,7}$/.test(text) ? Number(text) : NaN);
    if (!(typeof value === 'number' && value >= 1 && value <= max))
      problems.push(`${VARIABLES[key].env}=${text ?? String(value)}: must be ${VARIABLES[key].describe}`);
    return value as number;
  };
  const size = (key: keyof typeof VARIABLES, fallback: number): number => {
    const text = raw(key);
    const value = overrides[key] ?? (text === undefined ? fallback : parseMemory(text));
    if (!(typeof value === 'number' && value >= 64 * 1024 ** 2))
      problems.push(`${VARIABLES[key].env}=${text ?? String(value)}: must be ${VARIABLES[key].describe}`);
    return value as number;
  };
  const duration = (key: keyof typeof VARIABLES, fallback: number): number => {
    const text = raw(key);
    const value =
      overrides[key] ??
      (text === undefined ? fallback : new RegExp(DURATION_PATTERN).test(text) ? parseDuration(text) : NaN);
    if (!(typeof value === 'number' && value >= 60_000 && value <= 365 * 86_400_000))
      problems.push(`${VARIABLES[key].env}=${text ?? String(value)}: must be ${VARIABLES[key].describe}`);
    return value as number;
  };
  const quotaExercises = whole('quotaExercises', 10, 10_000);
  const quotaTeams = whole('quotaTeams', 100, 100_000);
  const terminalsPerTeam = whole('terminalsPerTeam', 4 * terminalsPerPrincipal, 100_000);
  const terminalsPerExercise = whole('terminalsPerExercise', 512, 100_000);
  const terminalInputBytesPerSecond = whole('terminalInputBytesPerSecond', 512 * 1024, 9_999_999);
  const exerciseTerminalInputBytesPerSecond = whole(
    'exerciseTerminalInputBytesPerSecond',
    8 * 1024 * 1024,
    9_999_999,
  );
  const quotaHosts = whole('quotaHosts', 400, 1_000_000);
  const kubeQps = whole('kubeQps', 100, 10_000);
  const kubeBurst = whole('kubeBurst', 2 * (kubeQps >= 1 && kubeQps <= 10_000 ? kubeQps : 100), 20_000);
  const launchConcurrency = whole('launchConcurrency', 4, 1000);
  const cpuText = raw('quotaCpu');
  const quotaCpu =
    overrides.quotaCpu ??
    (cpuText === undefined ? 64 : /^\d{1,6}(\.\d{1,3})?$/.test(cpuText) ? Number(cpuText) : NaN);
  if (!(quotaCpu >= 0.1 && quotaCpu <= 100_000))
    problems.push(
      `${VARIABLES.quotaCpu.env}=${cpuText ?? String(quotaCpu)}: must be ${VARIABLES.quotaCpu.describe}`,
    );
  const quotaMemoryBytes = size('quotaMemoryBytes', 256 * 1024 ** 3);
  const quotaDiskBytes = size('quotaDiskBytes', 1024 * 1024 ** 3);
  const exerciseTtlMaxMs = duration('exerciseTtlMaxMs', 7 * 86_400_000);
  const exerciseTtlDefaultMs = duration('exerciseTtlDefaultMs', 4 * 3_600_000);
  if (exerciseTtlDefaultMs > exerciseTtlMaxMs)
    problems.push(
      `${VARIABLES.exerciseTtlDefaultMs.env}: the default lifetime is longer than ${VARIABLES.exerciseTtlMaxMs.env}, the maximum`,
    );
  const helpText = raw('helpRequestIntervalMs');
  const helpRequestIntervalMs =
    overrides.helpRequestIntervalMs ??
    (helpText === undefined
      ? 60_000
      : helpText === '0'
        ? 0
        : new RegExp(DURATION_PATTERN).test(helpText)
          ? parseDuration(helpText)
          : NaN);
  if (!(helpRequestIntervalMs >= 0 && helpRequestIntervalMs <= 3_600_000))
    problems.push(
      `${VARIABLES.helpRequestIntervalMs.env}=${helpText ?? String(helpRequestIntervalMs)}: must be ${VARIABLES.helpRequestIntervalMs.describe}`,
    );
  const zoneText = overrides.timeZone ?? raw('timeZone');
  const timeZone = zoneText === undefined ? DEFAULT_TIME_ZONE : canonicalTimeZone(zoneText);
  if (timeZone === undefined)
    problems.push(`${VARIABLES.timeZone.env}=${zoneText ?? ''}: must be ${VARIABLES.timeZone.describe}`);
  if (problems.length > 0) {
    throw new CyropError('CONFIG_INVALID', `invalid configuration:\n  ${problems.join('\n  ')}`, {
      details: problems,
    });
  }
  return {
    host,
    port,
    dataDir: path.resolve(cwd, overrides.dataDir ?? raw('dataDir') ?? '.cyrop/data'),
    scenariosDir: path.resolve(
      cwd,
      overrides.scenariosDir ?? raw('scenariosDir') ?? path.join(REPO_ROOT, 'scenarios'),
    ),
    subnetPool,
    fixedSubnetPools,
    logLevel,
    engine,
    kubeconfig,
    kubeContext,
    kubeNamespacePrefix,
    kubeInCluster,
    imageRegistry,
    kubeDns,
    kubeTeamRole,
    kubeQps,
    kubeBurst,
    launchConcurrency,
    reconcileIntervalMs: overrides.reconcileIntervalMs ?? reconcileSeconds * 1000,
    terminalGraceMs: overrides.terminalGraceMs ?? graceSeconds * 1000,
    recordingMaxBytes,
    terminalsPerPrincipal,
    terminalsPerTeam,
    terminalsPerExercise,
    terminalInputBytesPerSecond,
    exerciseTerminalInputBytesPerSecond,
    trustProxy,
    publicOrigins,
    webPort,
    webOrigin: webOrigin?.replace(/\/$/, ''),
    metricsToken,
    hostDiskMaxBytes,
    diskLimits,
    quotaExercises,
    quotaTeams,
    quotaHosts,
    quotaCpu,
    quotaMemoryBytes,
    quotaDiskBytes,
    exerciseTtlDefaultMs,
    helpRequestIntervalMs,
    exerciseTtlMaxMs,
    timeZone: timeZone ?? DEFAULT_TIME_ZONE,
  };
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function parseTrustProxy(text: string | undefined, problems: string[]): Config['trustProxy'] {
  if (text === undefined || /^(false|off|no|0)$/i.test(text)) return false;
  const bad = () => {
    problems.push(`${VARIABLES.trustProxy.env}=${text}: must be ${VARIABLES.trustProxy.describe}`);
    return false as const;
  };
  if (/^\d+$/.test(text)) return Number(text) >= 1 && Number(text) <= 10 ? Number(text) : bad();
  const entries = text.split(',').map((e) => e.trim().toLowerCase());
  const valid = (entry: string) => {
    if (PROXY_NAMES.has(entry)) return true;
    const [address = '', bits, ...rest] = entry.split('/');
    if (rest.length || (bits !== undefined && !/^\d{1,3}$/.test(bits))) return false;
    const family = isIP(address);
    return family !== 0 && (bits === undefined || Number(bits) <= (family === 4 ? 32 : 128));
  };
  return entries.length > 0 && entries.every(valid) ? entries : bad();
}

function parsePublicOrigins(text: string | undefined, problems: string[]): string[] | undefined {
  if (text === undefined) return undefined;
  const origins: string[] = [];
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    let origin: string | undefined;
    try {
      const url = new URL(entry);
      const bare = url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
      if ((url.protocol === 'http:' || url.protocol === 'https:') && bare && !entry.endsWith('/'.repeat(2)))
        origin = url.origin;
    } catch {
      origin = undefined;
    }
    if (origin) origins.push(origin);
    else
      problems.push(
        `${VARIABLES.publicOrigins.env}: '${entry}' is not an origin; must be ${VARIABLES.publicOrigins.describe}`,
      );
  }
  if (origins.length === 0 && !problems.some((p) => p.startsWith(VARIABLES.publicOrigins.env)))
    problems.push(`${VARIABLES.publicOrigins.env}=${text}: must be ${VARIABLES.publicOrigins.describe}`);
  return origins.length ? origins : undefined;
}
