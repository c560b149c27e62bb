import { CyropError } from '../errors.ts';
import type { CompiledScenario } from './compile-scenario.ts';
import { parseDuration, parseMemory } from './durations.ts';
import { hashOf, type EnvironmentPlan, type PlannedHost, type PlannedObjective } from './environment-plan.ts';
import { formatIpv4, parseCidr, parseIpv4 } from './ipv4.ts';
import { deriveParameters } from './parameters.ts';
import { hostNetworkName, isForgeableCheck, type LocalizedText } from './scenario.ts';
import {
  allocateSubnets,
  hostRange,
  type NetworkNeed,
  type ReservedBlock,
  type SubnetAllocation,
} from './subnet-allocator.ts';
import { renderTemplate, type TemplateContext } from './templates.ts';

export interface TeamSpec {
  id: string;
  name: string;
}

export interface PlanOptions {
  exerciseId: string;
  /** A number of teams (named team-1 … team-N) or the teams themselves. */
  teams: number | readonly TeamSpec[];
  /** The exercise secret every per-team value is derived from. */
  secret: string;
  /** The pool team subnets are carved from. */
  subnetPool?: string;
  /** Blocks in use elsewhere (other exercises, the engine's other networks, the host): never allocated. */
  reservedSubnets?: readonly (string | ReservedBlock)[];
  /**
   * Where scenarios may fix subnets; absent in previews (not checked), given at launch (an empty list
   * refuses every fixed subnet). See `allocateSubnets`.
   */
  fixedSubnetPools?: readonly string[];
  /** Extra labels for every engine object (e.g. the installation that owns them). */
  labels?: Readonly<Record<string, string>>;
  /** The operator's largest `resources.disk`: a host that names none gets the default, at most this. */
  diskMaxBytes?: number;
}

export const DEFAULTS = {
  subnetPool: '10.200.0.0/16',
  resources: { cpu: 1, memory: '512Mi', pids: 256, disk: '1Gi' },
  console: { user: 'trainee', shell: '/bin/bash', workdir: '/home/trainee' },
  readyTimeout: '60s',
  checkTimeout: '10s',
  fileMode: 0o644,
  wrongSubmissionsPerMinute: 10,
  maxTeams: 1000,
} as const;

export const LABEL = {
  managedBy: 'app.kubernetes.io/managed-by',
  exercise: 'cyrop.io/exercise',
  team: 'cyrop.io/team',
  scenario: 'cyrop.io/scenario',
  planHash: 'cyrop.io/plan-hash',
  host: 'cyrop.io/host',
  installation: 'cyrop.io/installation',
} as const;

const ID = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

export function teamsOf(teams: PlanOptions['teams']): TeamSpec[] {
  if (typeof teams === 'number') {
    if (!Number.isInteger(teams) || teams < 1 || teams > DEFAULTS.maxTeams) {
      throw new CyropError(
        'BAD_REQUEST',
        `teams must be a whole number from 1 to ${DEFAULTS.maxTeams} (got ${teams})`,
      );
    }
    return Array.from({ length: teams }, (_, i) => ({ id: `team-${i + 1}`, name: `Team ${i + 1}` }));
  }
  const ids = new Set<string>();
  for (const t of teams) {
    if (!ID.test(t.id))
      throw new CyropError(
        'BAD_REQUEST',
        `team id '${t.id}' must be a lower-case slug of up to 32 characters`,
      );
    if (ids.has(t.id)) throw new CyropError('BAD_REQUEST', `team id '${t.id}' is given twice`);
    ids.add(t.id);
  }
  if (teams.length < 1 || teams.length > DEFAULTS.maxTeams)
    throw new CyropError('BAD_REQUEST', `an exercise has 1 to ${DEFAULTS.maxTeams} teams`);
  return [...teams];
}

/**
 * One EnvironmentPlan per team. Pure and deterministic: the same compiled scenario, options and
 * team give byte-identical plans; different teams get their own subnets, flags and passwords.
 */
export function planExercise(compiled: CompiledScenario, options: PlanOptions): EnvironmentPlan[] {
  if (!ID.test(options.exerciseId)) {
    throw new CyropError(
      'BAD_REQUEST',
      `exercise id '${options.exerciseId}' must be a lower-case slug of up to 32 characters`,
    );
  }
  if (options.secret.length < 8)
    throw new CyropError('BAD_REQUEST', 'the exercise secret must be at least 8 characters');
  const teams = teamsOf(options.teams);
  const allocations = allocateSubnets(networkNeeds(compiled), teams.length, allocatorOptions(options));
  return teams.map((team, i) => planTeam(compiled, options, team, i + 1, allocations[i] ?? []));
}

/**
 * Plan one team of an exercise again with fresh subnets (its blocks turned out to be taken on the
 * engine), keeping everything else as `planExercise` makes it: same secret, same team, same index.
 */
export function planTeamAgain(
  compiled: CompiledScenario,
  options: PlanOptions,
  team: TeamSpec,
  index: number,
  /** Where in the pool to start looking (see `AllocatorOptions.startOffset`). */
  startOffset = 0,
): EnvironmentPlan {
  const [subnets] = allocateSubnets(networkNeeds(compiled), 1, {
    ...allocatorOptions(options),
    firstTeam: index,
    startOffset,
  });
  return planTeam(compiled, options, team, index, subnets ?? []);
}

function networkNeeds(compiled: CompiledScenario): NetworkNeed[] {
  const { scenario } = compiled;
  return (scenario.networks ?? []).map((n, i) => {
    const fixed = n.subnet ? parseCidr(n.subnet).cidr : undefined;
    const hosts = scenario.hosts.filter((h) =>
      h.networks.some((hn) => hostNetworkName(hn) === n.name),
    ).length;
    const pointer = `/networks/${i}/subnet`;
    const place = compiled.places?.[pointer];
    return {
      name: n.name,
      hosts,
      ...(fixed ? { fixed, ...(place ? { fixedAt: { ...place, pointer } } : {}) } : {}),
    };
  });
}

function allocatorOptions(options: PlanOptions) {
  return {
    pool: options.subnetPool ?? DEFAULTS.subnetPool,
    ...(options.reservedSubnets ? { reserved: options.reservedSubnets } : {}),
    ...(options.fixedSubnetPools ? { fixedPools: options.fixedSubnetPools } : {}),
  };
}

function planTeam(
  compiled: CompiledScenario,
  options: PlanOptions,
  team: TeamSpec,
  index: number,
  subnets: SubnetAllocation[],
): EnvironmentPlan {
  const { scenario } = compiled;
  const addresses = assignAddresses(compiled, subnets);
  const context: TemplateContext = {
    params: deriveParameters(scenario.parameters ?? {}, options.secret, team.id),
    team: { id: team.id, name: team.name, index },
    exercise: { id: options.exerciseId },
    hosts: Object.fromEntries(
      scenario.hosts.map((h) => [
        h.name,
        { name: h.hostname ?? h.name, address: addresses.get(h.name) ?? {} },
      ]),
    ),
  };
  const render = (text: string): string => renderTemplate(text, context);
  const renderText = (text: LocalizedText): LocalizedText =>
    typeof text === 'string'
      ? render(text)
      : Object.fromEntries(Object.entries(text).map(([k, v]) => [k, render(v)]));

  const hosts: PlannedHost[] = scenario.hosts.map((host) => {
    const consoleSpec = host.console === true ? {} : host.console || undefined;
    const body: Omit<PlannedHost, 'hash'> = {
      name: host.name,
      hostname: host.hostname ?? host.name,
      image: host.image,
      networks: host.networks.map((n) => ({
        name: hostNetworkName(n),
        address: addresses.get(host.name)?.[hostNetworkName(n)] ?? '',
        aliases: typeof n === 'string' ? [] : [...(n.aliases ?? [])],
      })),
      console: consoleSpec ? { ...DEFAULTS.console, ...consoleSpec } : null,
      capabilities: [...(host.capabilities ?? [])].sort(),
      resources: {
        cpu: host.resources?.cpu ?? DEFAULTS.resources.cpu,
        memoryBytes: parseMemory(host.resources?.memory ?? DEFAULTS.resources.memory),
        pids: host.resources?.pids ?? DEFAULTS.resources.pids,
        diskBytes: host.resources?.disk
          ? parseMemory(host.resources.disk)
          : Math.min(parseMemory(DEFAULTS.resources.disk), options.diskMaxBytes ?? Infinity),
      },
      env: Object.fromEntries(
        Object.entries(host.env ?? {}).map(([k, v]) => [k, typeof v === 'string' ? render(v) : String(v)]),
      ),
      files: (host.files ?? []).map((f) => {
        const bytes = f.source === undefined ? undefined : compiled.sources.get(f.source);
        const isText = f.content !== undefined || (f.source?.endsWith('.hbs') ?? false);
        const content =
          f.content !== undefined
            ? render(f.content)
            : isText
              ? render(bytes?.toString('utf8') ?? '')
              : (bytes ?? Buffer.alloc(0)).toString('base64');
        return {
          path: f.path,
          encoding: isText ? ('utf8' as const) : ('base64' as const),
          content,
          mode: f.mode === undefined ? DEFAULTS.fileMode : parseInt(f.mode, 8),
          ...(f.owner ? { owner: f.owner } : {}),
        };
      }),
      ...(host.command ? { command: host.command.map(render) } : {}),
      ...(host.entrypoint ? { entrypoint: host.entrypoint.map(render) } : {}),
      ...(host.user ? { user: host.user } : {}),
      ...(host.workdir ? { workdir: host.workdir } : {}),
      ...(host.ready
        ? {
            ready: {
              ...(host.ready.tcp !== undefined ? { tcp: host.ready.tcp } : {}),
              ...(host.ready.exec ? { exec: host.ready.exec.map(render) } : {}),
              timeoutMs: parseDuration(host.ready.timeout ?? DEFAULTS.readyTimeout),
            },
          }
        : {}),
    };
    const web = host.web?.map((w) => ({
      port: w.port,
      title: w.title ?? `${host.name}:${w.port}`,
      path: w.path ?? '/',
    }));
    return { ...body, ...(web ? { web } : {}), hash: hashOf(body) };
  });

  const objectives: PlannedObjective[] = scenario.objectives.map((o) => ({
    id: o.id,
    kind: o.kind,
    title: o.title,
    ...(o.description !== undefined ? { description: renderText(o.description) } : {}),
    points: o.points,
    requires: [...(o.requires ?? [])],
    competencies: [...(o.competencies ?? [])],
    hints: (o.hints ?? []).map((h) => ({ id: h.id, cost: h.cost ?? 0, text: renderText(h.text) })),
    ...(o.flag !== undefined
      ? {
          flag:
            typeof o.flag === 'string'
              ? { exact: render(o.flag) }
              : { regex: o.flag.regex, caseSensitive: o.flag.caseSensitive ?? true },
        }
      : {}),
    ...(o.question
      ? {
          question: {
            ...(o.question.text !== undefined ? { text: renderText(o.question.text) } : {}),
            answers: o.question.answers.map(render),
            caseSensitive: o.question.caseSensitive ?? false,
          },
        }
      : {}),
    ...(o.check
      ? {
          check: {
            host: o.check.host,
            ...(o.check.from !== undefined ? { from: o.check.from } : {}),
            forgeable: isForgeableCheck(scenario.hosts, o.check),
            run: o.check.run.map(render),
            ...(o.check.user ? { user: o.check.user } : {}),
            expect: {
              exitCode: o.check.expect?.exitCode ?? 0,
              ...(o.check.expect?.stdout !== undefined ? { stdout: o.check.expect.stdout } : {}),
            },
            timeoutMs: parseDuration(o.check.timeout ?? DEFAULTS.checkTimeout),
            ...(o.check.every ? { everyMs: parseDuration(o.check.every) } : {}),
          },
        }
      : {}),
  }));

  const scoring = scenario.scoring;
  const body: Omit<EnvironmentPlan, 'hash'> = {
    apiVersion: 'cyrop.io/plan/v1',
    exercise: { id: options.exerciseId },
    team: { id: team.id, name: team.name, index },
    scenario: {
      id: scenario.metadata.id,
      version: scenario.metadata.version,
      sourceHash: compiled.sourceHash,
    },
    labels: {
      ...options.labels,
      [LABEL.managedBy]: 'cyrop',
      [LABEL.exercise]: options.exerciseId,
      [LABEL.team]: team.id,
      [LABEL.scenario]: `${scenario.metadata.id}-${scenario.metadata.version}`,
    },
    networks: subnets.map((s) => ({ name: s.network, subnet: s.subnet, gateway: s.gateway, fixed: s.fixed })),
    hosts,
    objectives,
    scoring: {
      model: scoring?.model ?? 'static',
      ...(scoring?.dynamic
        ? { dynamic: { ...scoring.dynamic, function: scoring.dynamic.function ?? 'linear' } }
        : {}),
      firstBloodBonusPercent: scoring?.firstBlood?.bonusPercent ?? 0,
      ...(scoring?.freezeBeforeEnd ? { freezeBeforeEndMs: parseDuration(scoring.freezeBeforeEnd) } : {}),
    },
    settings: {
      recordKeystrokes: scenario.exercise?.recordKeystrokes ?? false,
      wrongSubmissionsPerMinute:
        scenario.exercise?.submissionRateLimit?.wrongPerMinute ?? DEFAULTS.wrongSubmissionsPerMinute,
    },
  };
  return { ...body, hash: hashOf(body) };
}

/** host → network → IPv4: fixed addresses as written, the others in host order from the start of the range. */
function assignAddresses(
  compiled: CompiledScenario,
  subnets: readonly SubnetAllocation[],
): Map<string, Record<string, string>> {
  const { scenario } = compiled;
  const result = new Map<string, Record<string, string>>(scenario.hosts.map((h) => [h.name, {}]));
  for (const subnet of subnets) {
    const block = parseCidr(subnet.subnet).cidr;
    if (!block) continue;
    const taken = new Set<number>();
    const members: { host: string; fixed?: number }[] = [];
    for (const host of scenario.hosts) {
      for (const n of host.networks) {
        if (hostNetworkName(n) !== subnet.network) continue;
        const fixed = typeof n === 'string' || n.address === undefined ? undefined : parseIpv4(n.address);
        if (fixed !== undefined) taken.add(fixed);
        members.push({ host: host.name, ...(fixed !== undefined ? { fixed } : {}) });
      }
    }
    const range = hostRange(block);
    let next = range.first;
    for (const m of members) {
      let address = m.fixed;
      if (address === undefined) {
        while (taken.has(next)) next++;
        if (next > range.last) {
          throw new CyropError(
            'SCENARIO_INVALID',
            `network '${subnet.network}' (${subnet.subnet}) has no room left for host '${m.host}'`,
          );
        }
        address = next++;
      }
      const entry = result.get(m.host);
      if (entry) entry[subnet.network] = formatIpv4(address);
    }
  }
  return result;
}
