import type { Diagnostic } from './diagnostic.ts';
import { formatSize, parseDuration, parseMemory } from './durations.ts';
import {
  contains,
  formatCidr,
  formatIpv4,
  lastOf,
  overlaps,
  parseCidr,
  parseIpv4,
  type Cidr,
} from './ipv4.ts';
import { linearRegexProblem } from './linear-regex.ts';
import type { SourceMap } from './load-yaml.ts';
import { idSyntaxProblem } from '../nice/nice-catalogue.ts';
import { hostNetworkName, isForgeableCheck, type FrameworkId, type Scenario } from './scenario.ts';

/** What the compiler needs to know of a NICE Framework catalogue (the nice/ module provides one). */
export interface CompetencyCatalogue {
  readonly framework: FrameworkId;
  has(kind: 'workRole' | 'statement', id: string): boolean;
  closest(kind: 'workRole' | 'statement', id: string): string[];
}

export interface CheckOptions {
  file: string;
  sourceMap: SourceMap;
  catalogue?: CompetencyCatalogue;
  limits?: ScenarioLimits;
}

/** Limits the operator sets for every scenario of an installation (configuration, not the language). */
export interface ScenarioLimits {
  /** The most a host may write on top of its image (`resources.disk`). */
  diskMaxBytes?: number;
}

export const LIMITS = {
  memoryMinBytes: 16 * 1024 ** 2,
  memoryMaxBytes: 8 * 1024 ** 3,
  diskMinBytes: 16 * 1024 ** 2,
  /** The operator maximum of `resources.disk` when the configuration names none. */
  diskMaxBytes: 10 * 1024 ** 3,
  subnetMinPrefix: 16,
  subnetMaxPrefix: 29,
  checkTimeoutMs: { min: 1_000, max: 10 * 60_000 },
  checkEveryMs: { min: 10_000, max: 24 * 3_600_000 },
  readyTimeoutMs: { min: 1_000, max: 10 * 60_000 },
  scenarioDurationMs: { min: 5 * 60_000, max: 30 * 86_400_000 },
  freezeBeforeEndMs: { min: 60_000, max: 30 * 86_400_000 },
} as const;

/** Every rule of the scenario language that a JSON Schema cannot express. Runs on schema-valid data. */
export function checkScenario(scenario: Scenario, options: CheckOptions): Diagnostic[] {
  const { file, sourceMap } = options;
  const out: Diagnostic[] = [];
  const report = (
    pointer: string,
    rule: string,
    message: string,
    severity: Diagnostic['severity'] = 'error',
    atKey = false,
  ): void => {
    out.push({ severity, rule, file, ...sourceMap.nearest(pointer, atKey), pointer, message });
  };
  /** Report every item whose name an earlier item already has: `what(name, firstLine)` says it. */
  const duplicates = <T>(
    items: readonly T[],
    name: (item: T) => string | undefined,
    pointerOf: (i: number) => string,
    rule: string,
    what: (name: string, firstLine: number) => string,
  ): void => {
    const first = new Map<string, number>();
    items.forEach((item, i) => {
      const n = name(item);
      if (n === undefined) return;
      const seen = first.get(n);
      if (seen === undefined) first.set(n, i);
      else report(pointerOf(i), rule, what(n, sourceMap.nearest(pointerOf(seen)).line));
    });
  };
  const within = (
    pointer: string,
    text: string,
    bounds: { min: number; max: number },
    what: string,
  ): void => {
    const ms = parseDuration(text);
    if (ms < bounds.min || ms > bounds.max) {
      report(
        pointer,
        'limit.duration',
        `${what} ${text} is out of range: it must be between ${humanMs(bounds.min)} and ${humanMs(bounds.max)}`,
      );
    }
  };

  const networks = scenario.networks ?? [];
  const hosts = scenario.hosts;
  const objectives = scenario.objectives;

  // --- metadata
  if (scenario.metadata.duration)
    within('/metadata/duration', scenario.metadata.duration, LIMITS.scenarioDurationMs, 'duration');

  // --- names are unique
  duplicates(
    networks,
    (n) => n.name,
    (i) => `/networks/${i}/name`,
    'duplicate.network',
    (n, l) => `duplicate network '${n}' (first defined at line ${l})`,
  );
  duplicates(
    hosts,
    (h) => h.name,
    (i) => `/hosts/${i}/name`,
    'duplicate.host',
    (n, l) => `duplicate host '${n}' (first defined at line ${l})`,
  );
  // A hostname clash that is not already a name clash: only where a host sets hostname.
  const hostnames = hosts.map((h) => h.hostname ?? h.name);
  hosts.forEach((h, i) => {
    const j = hostnames.indexOf(hostnames[i] ?? '');
    if (j < i && (h.hostname !== undefined || hosts[j]?.hostname !== undefined)) {
      report(
        `/hosts/${i}/${h.hostname !== undefined ? 'hostname' : 'name'}`,
        'duplicate.hostname',
        `host '${h.name}' has the hostname '${hostnames[i] ?? ''}' of host '${hosts[j]?.name ?? ''}'`,
      );
    }
  });
  duplicates(
    objectives,
    (o) => o.id,
    (i) => `/objectives/${i}/id`,
    'duplicate.objective',
    (n, l) => `duplicate objective '${n}' (first defined at line ${l})`,
  );
  const hintIds = objectives.flatMap((o, oi) =>
    (o.hints ?? []).map((h, hi) => ({ id: h.id, pointer: `/objectives/${oi}/hints/${hi}/id` })),
  );
  duplicates(
    hintIds,
    (h) => h.id,
    (i) => hintIds[i]?.pointer ?? '',
    'duplicate.hint',
    (n, l) => `duplicate hint '${n}' (first defined at line ${l}); hint ids are unique in a scenario`,
  );

  // --- networks: fixed subnets are valid blocks that do not overlap
  const fixedSubnets = new Map<string, Cidr>();
  networks.forEach((network, i) => {
    if (network.subnet === undefined) return;
    const pointer = `/networks/${i}/subnet`;
    const parsed = parseCidr(network.subnet);
    if (!parsed.cidr) {
      report(pointer, 'network.subnet', `subnet '${network.subnet}': ${parsed.problem ?? 'is invalid'}`);
      return;
    }
    const { prefix } = parsed.cidr;
    if (prefix < LIMITS.subnetMinPrefix || prefix > LIMITS.subnetMaxPrefix) {
      report(
        pointer,
        'network.subnet',
        `subnet '${network.subnet}' must be between a /${LIMITS.subnetMinPrefix} and a /${LIMITS.subnetMaxPrefix}`,
      );
      return;
    }
    for (const [other, cidr] of fixedSubnets) {
      if (overlaps(cidr, parsed.cidr)) {
        report(
          pointer,
          'network.overlap',
          `subnet ${network.subnet} of network '${network.name}' overlaps ${formatCidr(cidr)} of network '${other}'`,
        );
      }
    }
    fixedSubnets.set(network.name, parsed.cidr);
  });

  // --- hosts
  const networkNames = new Set(networks.map((n) => n.name));
  const addressesInUse = new Map<string, Map<number, string>>(); // network → address → host
  let consoles = 0;
  hosts.forEach((host, hi) => {
    const hp = `/hosts/${hi}`;
    if (host.console) consoles++;
    duplicates(
      host.web ?? [],
      (w) => String(w.port),
      (i) => `${hp}/web/${i}/port`,
      'duplicate.web-port',
      (port, l) => `host '${host.name}' declares web service port ${port} twice (first at line ${l})`,
    );
    duplicates(
      host.networks,
      hostNetworkName,
      (i) => `${hp}/networks/${i}`,
      'duplicate.host-network',
      (n, l) => `host '${host.name}' names network '${n}' twice (first at line ${l})`,
    );
    host.networks.forEach((entry, ni) => {
      const np = `${hp}/networks/${ni}`;
      const name = hostNetworkName(entry);
      if (!networkNames.has(name)) {
        report(
          typeof entry === 'string' ? np : `${np}/name`,
          'ref.network',
          `host '${host.name}' names network '${name}', which is not declared${networkNames.size ? ` (networks: ${[...networkNames].join(', ')})` : ' (the scenario declares no networks)'}`,
        );
        return;
      }
      if (typeof entry === 'string' || entry.address === undefined) return;
      const ap = `${np}/address`;
      const address = parseIpv4(entry.address);
      if (address === undefined) {
        report(ap, 'network.address', `'${entry.address}' is not an IPv4 address`);
        return;
      }
      const subnet = fixedSubnets.get(name);
      if (!subnet) {
        report(
          ap,
          'network.address',
          `fixed address ${entry.address} needs a fixed subnet on network '${name}' (add subnet: to the network, or drop the address and let the allocator choose)`,
        );
        return;
      }
      if (!contains(subnet, address)) {
        report(
          ap,
          'network.address',
          `address ${entry.address} is outside subnet ${formatCidr(subnet)} of network '${name}'`,
        );
        return;
      }
      if (address === subnet.base || address === lastOf(subnet) || address === subnet.base + 1) {
        const role =
          address === subnet.base ? 'network' : address === subnet.base + 1 ? 'gateway' : 'broadcast';
        report(
          ap,
          'network.address',
          `address ${entry.address} is the ${role} address of ${formatCidr(subnet)}; hosts use ${formatIpv4(subnet.base + 2)}–${formatIpv4(lastOf(subnet) - 1)}`,
        );
        return;
      }
      const inUse = addressesInUse.get(name) ?? new Map<number, string>();
      addressesInUse.set(name, inUse);
      const holder = inUse.get(address);
      if (holder !== undefined)
        report(
          ap,
          'network.address',
          `address ${entry.address} on network '${name}' is already taken by host '${holder}'`,
        );
      else inUse.set(address, host.name);
    });

    if (host.resources?.memory !== undefined) {
      const bytes = parseMemory(host.resources.memory);
      if (!(bytes >= LIMITS.memoryMinBytes && bytes <= LIMITS.memoryMaxBytes)) {
        report(
          `${hp}/resources/memory`,
          'limit.memory',
          `memory ${host.resources.memory} is out of range: it must be between 16Mi and 8Gi`,
        );
      }
    }
    if (host.resources?.disk !== undefined) {
      const bytes = parseMemory(host.resources.disk);
      const max = options.limits?.diskMaxBytes ?? LIMITS.diskMaxBytes;
      if (!(bytes >= LIMITS.diskMinBytes && bytes <= max)) {
        report(
          `${hp}/resources/disk`,
          'limit.disk',
          `disk ${host.resources.disk} is out of range: it must be between 16Mi and ${formatSize(max)} (this installation's maximum)`,
        );
      }
    }
    if (host.ready?.timeout)
      within(`${hp}/ready/timeout`, host.ready.timeout, LIMITS.readyTimeoutMs, 'ready timeout');
    const filePaths = host.files ?? [];
    duplicates(
      filePaths,
      (f) => f.path,
      (i) => `${hp}/files/${i}/path`,
      'duplicate.file',
      (n, l) => `host '${host.name}' has two files at ${n} (first at line ${l})`,
    );
  });
  if (consoles === 0) {
    report(
      '/hosts',
      'console.none',
      'no host has a console, so trainees get no terminal (add console: to at least one host)',
      'warning',
    );
  }

  // --- objectives
  const objectiveIds = new Set(objectives.map((o) => o.id));
  const hostNames = new Set(hosts.map((h) => h.name));
  objectives.forEach((objective, oi) => {
    const op = `/objectives/${oi}`;
    (objective.requires ?? []).forEach((req, ri) => {
      if (req === objective.id)
        report(`${op}/requires/${ri}`, 'ref.requires', `objective '${objective.id}' requires itself`);
      else if (!objectiveIds.has(req))
        report(
          `${op}/requires/${ri}`,
          'ref.requires',
          `objective '${objective.id}' requires '${req}', which is not an objective (objectives: ${[...objectiveIds].join(', ')})`,
        );
    });
    if (typeof objective.flag === 'object') {
      const problem = linearRegexProblem(objective.flag.regex);
      if (problem) report(`${op}/flag/regex`, 'flag.regex', `flag regex does not compile: ${problem}`);
    }
    const check = objective.check;
    if (check) {
      if (!hostNames.has(check.host)) {
        report(
          `${op}/check/host`,
          'ref.host',
          `check runs on host '${check.host}', which is not declared (hosts: ${[...hostNames].join(', ')})`,
        );
      }
      if (check.from !== undefined && !hostNames.has(check.from)) {
        report(
          `${op}/check/from`,
          'ref.host',
          `check runs from host '${check.from}', which is not declared (hosts: ${[...hostNames].join(', ')})`,
        );
      } else if (isForgeableCheck(hosts, check)) {
        const runsOn = check.from ?? check.host;
        report(
          `${op}/check/${check.from !== undefined ? 'from' : 'host'}`,
          'check.forgeable',
          `check '${objective.id}' runs on host '${runsOn}', which trainees control (it has a console or traineeControlled: true), so root there can forge a pass; run it from a host they do not control (check.from) or set traineeControlled: false on '${runsOn}' if they cannot get root`,
          'warning',
        );
      }
      if (check.timeout) within(`${op}/check/timeout`, check.timeout, LIMITS.checkTimeoutMs, 'check timeout');
      if (check.every) within(`${op}/check/every`, check.every, LIMITS.checkEveryMs, 'check interval');
      if (check.expect?.stdout !== undefined) {
        const problem = linearRegexProblem(check.expect.stdout);
        if (problem)
          report(
            `${op}/check/expect/stdout`,
            'check.regex',
            `expected-stdout regex does not compile: ${problem}`,
          );
      }
    }
  });
  for (const cycle of findCycles(
    objectives.map((o) => ({
      id: o.id,
      requires: (o.requires ?? []).filter((r) => objectiveIds.has(r) && r !== o.id),
    })),
  )) {
    const index = objectives.findIndex((o) => o.id === cycle[0]);
    report(
      `/objectives/${index}/requires`,
      'ref.requires-cycle',
      `objectives require each other in a cycle: ${[...cycle, cycle[0]].join(' → ')}`,
    );
  }

  // --- scoring
  const scoring = scenario.scoring;
  if (scoring?.model === 'dynamic' && !scoring.dynamic) {
    report('/scoring/dynamic', 'scoring.dynamic', 'model dynamic needs dynamic: { initial, minimum, decay }');
  }
  if (scoring?.dynamic && scoring.dynamic.minimum > scoring.dynamic.initial) {
    report(
      '/scoring/dynamic/minimum',
      'scoring.dynamic',
      `minimum ${scoring.dynamic.minimum} is above initial ${scoring.dynamic.initial}`,
    );
  }
  if (scoring?.freezeBeforeEnd)
    within('/scoring/freezeBeforeEnd', scoring.freezeBeforeEnd, LIMITS.freezeBeforeEndMs, 'freeze');

  // --- competencies
  out.push(...checkCompetencies(scenario, options));
  return out;
}

function checkCompetencies(scenario: Scenario, { file, sourceMap, catalogue }: CheckOptions): Diagnostic[] {
  const out: Diagnostic[] = [];
  const framework = scenario.competencies?.framework;
  const ids: { kind: 'workRole' | 'statement'; id: string; pointer: string }[] = [];
  scenario.competencies?.workRoles?.forEach((id, i) =>
    ids.push({ kind: 'workRole', id, pointer: `/competencies/workRoles/${i}` }),
  );
  scenario.competencies?.statements?.forEach((id, i) =>
    ids.push({ kind: 'statement', id, pointer: `/competencies/statements/${i}` }),
  );
  scenario.objectives.forEach((o, oi) =>
    o.competencies?.forEach((id, i) =>
      ids.push({ kind: 'statement', id, pointer: `/objectives/${oi}/competencies/${i}` }),
    ),
  );
  if (!framework) {
    const first = ids[0];
    if (first) {
      out.push({
        severity: 'error',
        rule: 'competency.framework',
        file,
        ...sourceMap.nearest(first.pointer),
        pointer: first.pointer,
        message:
          'competency ids need competencies.framework (one of nice-sp800-181r0, nice-1.0.0, nice-2.0.0, nice-2.1.0)',
      });
    }
    return out;
  }
  const usable = catalogue?.framework === framework ? catalogue : undefined;
  for (const { kind, id, pointer } of ids) {
    const at = { file, ...sourceMap.nearest(pointer), pointer };
    const what = kind === 'workRole' ? 'work role' : 'statement';
    const problem = idSyntaxProblem(framework, kind, id);
    if (problem) {
      out.push({ severity: 'error', rule: 'competency.syntax', ...at, message: problem });
    } else if (usable && !usable.has(kind, id)) {
      const closest = usable.closest(kind, id);
      out.push({
        severity: 'error',
        rule: 'competency.unknown',
        ...at,
        message: `unknown ${what} ${id} in ${framework}${closest.length ? ` (closest: ${closest.join(', ')})` : ''}`,
      });
    }
  }
  return out;
}

/** Every elementary cycle's smallest representative, found by depth-first search (ids in declaration order). */
export function findCycles(nodes: readonly { id: string; requires: readonly string[] }[]): string[][] {
  const edges = new Map(nodes.map((n) => [n.id, n.requires]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const visit = (id: string): void => {
    state.set(id, 'visiting');
    stack.push(id);
    for (const next of edges.get(id) ?? []) {
      if (state.get(next) === 'visiting') {
        const cycle = stack.slice(stack.indexOf(next));
        const key = [...cycle].sort().join('\u0000');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const node of nodes) if (!state.has(node.id)) visit(node.id);
  return cycles;
}

function humanMs(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}
