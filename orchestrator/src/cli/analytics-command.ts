import path from 'node:path';
import { cliPrincipal } from '../access/principal.ts';
import { AccountService } from '../accounts/account-service.ts';
import { coverageCsv, coverageText, csv, gapsCsv, gapsText } from '../analytics/analytics-format.ts';
import { AnalyticsService, type MaterialScope } from '../analytics/analytics-service.ts';
import { DEFAULT_TIME_ZONE, startOfDay } from '../analytics/transcript.ts';
import type { UsageReport } from '../analytics/usage.ts';
import { loadConfig } from '../config/load-config.ts';
import { CyropError } from '../errors.ts';
import type { NiceFramework } from '../nice/nice-catalogue.ts';
import { NiceCatalogueStore } from '../nice/nice-catalogue-store.ts';
import { ScenarioCatalogue } from '../scenarios/scenario-catalogue.ts';
import { ScenarioLibrary } from '../scenarios/scenario-library.ts';
import { ScenarioUploads } from '../scenarios/scenario-uploads.ts';
import { openDatabase } from '../store/database.ts';
import { EXIT, type Io } from './main.ts';

export type AnalyticsFormat = 'text' | 'json' | 'csv';

export interface ScopeOptions {
  org?: string;
  scenarios?: string;
  all?: boolean;
}

/** The analytics service of the data directory, acting with the operator's powers (`system:cli`). */
async function openAnalytics<T>(
  run: (service: AnalyticsService, operatorOrg: string) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  const database = await openDatabase(config.dataDir);
  try {
    const accounts = new AccountService({ db: database.db });
    const operator = (await accounts.listOrganisations()).find((o) => o.kind === 'operator');
    const uploadsDir = path.join(config.dataDir, 'scenarios');
    const scenarios = await new ScenarioLibrary({
      db: database.db,
      catalogue: new ScenarioCatalogue(config.scenariosDir, undefined, uploadsDir).load(),
      uploads: new ScenarioUploads(uploadsDir),
    }).init();
    const service = new AnalyticsService({
      db: database.db,
      scenarios,
      nice: new NiceCatalogueStore(config.dataDir),
    });
    return await run(service, operator?.id ?? 'operator');
  } finally {
    await database.close();
  }
}

export function scopeOf(opts: ScopeOptions): MaterialScope {
  const given = [opts.org !== undefined, opts.scenarios !== undefined, opts.all === true].filter(
    Boolean,
  ).length;
  if (given > 1) throw new CyropError('BAD_REQUEST', 'give at most one of --org, --scenarios and --all');
  if (opts.org !== undefined) return { kind: 'org', orgId: opts.org };
  if (opts.scenarios !== undefined) {
    const ids = opts.scenarios
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (ids.length === 0)
      throw new CyropError('BAD_REQUEST', '--scenarios needs at least one scenario id (a,b,c)');
    return { kind: 'scenarios', ids };
  }
  return opts.all ? { kind: 'available' } : { kind: 'shipped' };
}

export async function coverageCommand(
  opts: ScopeOptions & {
    framework: NiceFramework;
    role?: string;
    crosswalk?: boolean;
    format: AnalyticsFormat;
  },
  io: Io,
): Promise<number> {
  const scope = scopeOf(opts);
  const report = await openAnalytics((service, org) =>
    service.coverage(cliPrincipal(org), {
      framework: opts.framework,
      scope,
      ...(opts.role !== undefined ? { role: opts.role } : {}),
      ...(opts.crosswalk ? { crosswalk: true } : {}),
    }),
  );
  io.out(
    opts.format === 'json'
      ? JSON.stringify(report, null, 2) + '\n'
      : opts.format === 'csv'
        ? coverageCsv(report)
        : `scope: ${describeScope(scope)}\n` + coverageText(report),
  );
  return EXIT.ok;
}

export async function gapsCommand(
  opts: ScopeOptions & { framework: NiceFramework; role: string; format: AnalyticsFormat },
  io: Io,
): Promise<number> {
  const scope = scopeOf(opts);
  const report = await openAnalytics((service, org) =>
    service.gaps(cliPrincipal(org), { framework: opts.framework, scope, role: opts.role }),
  );
  io.out(
    opts.format === 'json'
      ? JSON.stringify(report, null, 2) + '\n'
      : opts.format === 'csv'
        ? gapsCsv(report)
        : `scope: ${describeScope(scope)}\n` + gapsText(report),
  );
  return EXIT.ok;
}

/** `2026-04-01` (midnight in the platform's time zone) or an ISO date-time with its offset. */
export function parseInstant(text: string, endOfDay: boolean): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const start = startOfDay(text, DEFAULT_TIME_ZONE);
    if (Number.isNaN(start))
      throw new CyropError('BAD_REQUEST', `'${text}' is not a calendar date (YYYY-MM-DD)`);
    return endOfDay ? startOfDay(nextDay(text), DEFAULT_TIME_ZONE) : start;
  }
  const ms = /[zZ]|[+-]\d{2}:\d{2}$/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms))
    throw new CyropError(
      'BAD_REQUEST',
      `'${text}' is neither a date (YYYY-MM-DD) nor an ISO date-time with offset`,
    );
  return ms;
}

function nextDay(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

export async function usageCommand(
  opts: { from: string; to: string; org?: string; format: AnalyticsFormat },
  io: Io,
): Promise<number> {
  const from = parseInstant(opts.from, false);
  const to = parseInstant(opts.to, true);
  const report = await openAnalytics((service, org) =>
    service.usage(cliPrincipal(org), { from, to, ...(opts.org !== undefined ? { orgId: opts.org } : {}) }),
  );
  io.out(
    opts.format === 'json'
      ? JSON.stringify(report, null, 2) + '\n'
      : opts.format === 'csv'
        ? usageCsv(report)
        : usageText(report),
  );
  return EXIT.ok;
}

const titleOf = (t: unknown): string =>
  typeof t === 'string'
    ? t
    : t && typeof t === 'object'
      ? String((t as Record<string, string>)['en'] ?? Object.values(t)[0] ?? '')
      : '';

export function usageCsv(r: UsageReport): string {
  return csv(
    [
      'scenario_id',
      'title',
      'in_catalogue',
      'launches',
      'launches_with_real_teams',
      'real_teams',
      'trainees',
      'trainee_hours',
    ],
    [
      ...r.materials.map((m) => [m, 'yes'] as const),
      ...r.outsideCatalogue.map((m) => [m, 'no'] as const),
    ].map(([m, inCat]) => [
      m.id,
      titleOf(m.title),
      inCat,
      m.launches,
      m.realLaunches,
      m.realTeams,
      m.trainees,
      m.traineeHours,
    ]),
  );
}

export function usageText(r: UsageReport): string {
  const lines = [
    `material use ${new Date(r.period.from).toISOString()} – ${new Date(r.period.to).toISOString()}${r.orgId ? ` (organisation ${r.orgId})` : ' (platform-wide)'}`,
    `materials used with real teams: ${r.utilisation.covered} of ${r.utilisation.total}${r.utilisation.percent === null ? '' : ` (${r.utilisation.percent}%)`}`,
    `launches: ${r.launches}; real teams: ${r.realTeams}; trainee-hours: ${r.traineeHours}`,
    '',
    ...r.materials.map(
      (m) =>
        `  ${m.id.padEnd(28)} launches ${m.launches} (${m.realLaunches} with real teams), teams ${m.realTeams}, trainees ${m.trainees}, ${m.traineeHours} trainee-hours`,
    ),
  ];
  if (r.neverUsed.length > 0)
    lines.push('', `not used in the period: ${r.neverUsed.map((m) => m.id).join(', ')}`);
  if (r.outsideCatalogue.length > 0)
    lines.push(
      '',
      `launched but not in the catalogue: ${r.outsideCatalogue.map((m) => `${m.id} (${m.launches})`).join(', ')}`,
    );
  return lines.join('\n') + '\n';
}

function describeScope(scope: MaterialScope): string {
  switch (scope.kind) {
    case 'shipped':
      return 'the shipped catalogue';
    case 'org':
      return `the scenarios of organisation ${scope.orgId}`;
    case 'available':
      return 'every scenario offered';
    case 'scenarios':
      return `scenarios ${scope.ids.join(', ')}`;
  }
}
