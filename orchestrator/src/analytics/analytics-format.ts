import type { CoverageFigures, CoverageReport, Fraction, GapReport } from './coverage.ts';
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

/** Coverage as CSV rows: scope (overall | type | role), id, name, covered, total, percent, basis. */
export function coverageCsv(report: CoverageReport): string {
  const rows: (string | number | null)[][] = [];
  const add = (basis: string, figures: CoverageFigures) => {
    rows.push([
      'overall',
      report.framework,
      '',
      figures.overall.covered,
      figures.overall.total,
      pct(figures.overall),
      basis,
    ]);
    for (const [type, f] of Object.entries(figures.byType))
      rows.push(['type', type, '', f.covered, f.total, pct(f), basis]);
    for (const r of figures.byRole) rows.push(['role', r.id, r.name, r.covered, r.total, pct(r), basis]);
  };
  add('direct', report);
  if (report.crosswalked) add('direct+crosswalked', report.crosswalked);
  return csv(['scope', 'id', 'name', 'covered', 'total', 'percent', 'basis'], rows);
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
        `  ${r.id.padEnd(11)} ${formatFraction(r).padEnd(20)} ${r.name}${r.namedBy ? ` (named by ${r.namedBy})` : ''}`,
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
