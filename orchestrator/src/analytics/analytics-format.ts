import type { CoverageFigures, CoverageReport, Fraction, GapReport } from './coverage.ts';
import type { UsageReport } from './usage.ts';
import { formatFraction } from './coverage.ts';

/** CSV as spreadsheet programs open it: UTF-8 with BOM, CRLF, every field quoted when it needs it. */
export function csv(
  header: readonly string[],
  rows: readonly (readonly (string | number | null)[])[],
): string {
  const cell = (v: string | number | null): string => {
    const s = v === null ? '' : String(v);
    return /[",\r\n]/.test(s) || /^[=+\-@]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return '\ufeff' + [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

const pct = (f: Fraction) => (f.percent === null ? '' : f.percent);

/**
 * Coverage as CSV rows: scope (overall | type | role | role-type), id, name, type, covered, total,
 * percent, basis. A `role-type` row is one cell of the work role × statement type grid: the role's
 * statements of that type (`id` is the role, `type` the statement type).
 */
export function coverageCsv(report: CoverageReport): string {
  const rows: (string | number | null)[][] = [];
  const add = (basis: string, figures: CoverageFigures) => {
    rows.push([
      'overall',
      report.framework,
      '',
      '',
      figures.overall.covered,
      figures.overall.total,
      pct(figures.overall),
      basis,
    ]);
    for (const [type, f] of Object.entries(figures.byType))
      rows.push(['type', type, '', type, f.covered, f.total, pct(f), basis]);
    for (const r of figures.byRole) {
      rows.push(['role', r.id, r.name, '', r.covered, r.total, pct(r), basis]);
      for (const [type, f] of Object.entries(r.byType))
        rows.push(['role-type', r.id, r.name, type, f.covered, f.total, pct(f), basis]);
    }
  };
  add('direct', report);
  if (report.crosswalked) add('direct+crosswalked', report.crosswalked);
  return csv(['scope', 'id', 'name', 'type', 'covered', 'total', 'percent', 'basis'], rows);
}

export function coverageText(report: CoverageReport): string {
  const lines = [
    `NICE coverage, ${report.framework} (document version ${report.sourceVersion})`,
    `denominator: ${report.universe}`,
    `materials: ${report.materials.total} (${report.materials.direct} mapped in ${report.framework}, ` +
      `${report.materials.covering} of them covering at least one statement; ${report.materials.otherFramework} mapped in another version; ${report.materials.unmapped} unmapped)`,
    '',
    `statements covered: ${formatFraction(report.overall)}`,
    ...Object.entries(report.byType).map(([t, f]) => `  ${t.padEnd(10)} ${formatFraction(f)}`),
    '',
    'by work role (statements NIST links to the role):',
    ...report.byRole.map(
      (r) =>
        `  ${r.id.padEnd(11)} ${formatFraction(r).padEnd(20)} ${r.name}${r.namedBy ? ` (named by ${r.namedBy})` : ''}` +
        `\n  ${''.padEnd(11)} ${Object.entries(r.byType)
          .map(([t, f]) => `${t} ${f.covered}/${f.total}`)
          .join(', ')}`,
    ),
  ];
  if (report.otherIds.length > 0)
    lines.push(
      '',
      `ids that are not statements of ${report.framework}: ` +
        report.otherIds.map((o) => `${o.material}:${o.id} (${o.reason})`).join(', '),
    );
  const x = report.crosswalked;
  if (x) {
    lines.push(
      '',
      `CROSSWALKED (not part of the figures above): ${x.rule}`,
      `statements covered, direct + crosswalked: ${formatFraction(x.overall)}; added only by the crosswalk: ${formatFraction(x.addedOnly)}`,
      ...Object.entries(x.byType).map(([t, f]) => `  ${t.padEnd(10)} ${formatFraction(f)}`),
      ...x.sources.map(
        (s) => `  from ${s.material} (${s.framework}): ${s.crossed} ids crossed, ${s.notCrossed} did not`,
      ),
    );
  }
  return lines.join('\n') + '\n';
}

export function gapsCsv(report: GapReport): string {
  return csv(
    ['work_role', 'statement_id', 'type', 'text'],
    report.gaps.map((g) => [report.role.id, g.id, g.type, g.text]),
  );
}

export function gapsText(report: GapReport): string {
  return (
    [
      `${report.role.id} ${report.role.name} (${report.framework}): covered ${formatFraction(report.coverage)}; ${report.gaps.length} statements no material covers:`,
      ...report.gaps.map((g) => `  ${g.id}  ${g.text}`),
    ].join('\n') + '\n'
  );
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
