import path from 'node:path';
import { cliPrincipal } from '../access/principal.ts';
import { AccountService } from '../accounts/account-service.ts';
import {
  coverageCsv,
  coverageText,
  gapsCsv,
  gapsText,
  usageCsv,
  usageText,
} from '../analytics/analytics-format.ts';
import { parseInstant } from '../analytics/period.ts';
import { AnalyticsService, type MaterialScope } from '../analytics/analytics-service.ts';
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
      timeZone: config.timeZone,
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

export async function usageCommand(
  opts: { from: string; to: string; org?: string; format: AnalyticsFormat },
  io: Io,
): Promise<number> {
  const report = await openAnalytics((service, org) =>
    // YYYY-MM-DD bounds are days in the platform's time zone (CYROP_TIME_ZONE)
    service.usage(cliPrincipal(org), {
      from: parseInstant(opts.from, false, service.timeZone),
      to: parseInstant(opts.to, true, service.timeZone),
      ...(opts.org !== undefined ? { orgId: opts.org } : {}),
    }),
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
