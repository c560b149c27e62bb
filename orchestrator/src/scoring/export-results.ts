import type { BoardView, ScoreboardProjection } from './scoreboard-projection.ts';
import { firstBloodBonus } from './scoring-rules.ts';

/**
 * One exercise's results, one row per team × objective (in board order, then scenario order) and
 * one per award. `net` is what the row adds to the team's score; a team's rows sum to its board
 * points in the same view. The `public` view while frozen is the result as of the freeze.
 */
export interface ResultRow {
  readonly exerciseId: string;
  /** The scenario version the exercise ran, and its content hash. */
  readonly scenarioId: string;
  readonly scenarioVersion: string;
  readonly scenarioHash: string;
  readonly rank: number;
  readonly teamId: string;
  readonly teamName: string;
  readonly kind: 'objective' | 'award';
  /** null for awards. */
  readonly objectiveId: string | null;
  readonly solved: boolean;
  /** ISO-8601 (UTC) time of the solve or award; null when unsolved. */
  readonly time: string | null;
  readonly via: 'flag' | 'question' | 'check' | null;
  /** Value of the solve including any first-blood bonus, or the award's points. */
  readonly points: number;
  readonly firstBlood: boolean;
  readonly hintsUsed: number;
  readonly hintIds: readonly string[];
  readonly hintCost: number;
  readonly net: number;
  /** The award's reason; empty otherwise. */
  readonly note: string;
}

export function resultRows(
  projection: ScoreboardProjection,
  options: { view?: BoardView } = {},
): ResultRow[] {
  const view = options.view ?? 'live';
  const { exercise } = projection;
  const cutoff = view === 'public' ? (projection.frozen?.seq ?? Infinity) : Infinity;
  const stats = projection.objectiveStats(view);
  const percent = exercise.scoring.firstBloodBonusPercent;
  const rows: ResultRow[] = [];
  for (const standing of projection.board(view)) {
    const solves = new Map<string, { at: number; via: 'flag' | 'question' | 'check' }>();
    const hints = new Map<string, { ids: string[]; cost: number }>();
    const awards: { at: number; points: number; reason: string }[] = [];
    for (const event of projection.timeline(standing.teamId)) {
      if (event.seq >= cutoff) break;
      if (event.type === 'solve') solves.set(event.objectiveId, { at: event.at, via: event.via });
      else if (event.type === 'hint-unlock') {
        const h = hints.get(event.objectiveId) ?? { ids: [], cost: 0 };
        h.ids.push(event.hintId);
        h.cost += event.cost;
        hints.set(event.objectiveId, h);
      } else if (event.type === 'award' && event.points !== 0)
        awards.push({ at: event.at, points: event.points, reason: event.reason });
    }
    const common = {
      exerciseId: exercise.exerciseId,
      scenarioId: exercise.scenario.id,
      scenarioVersion: exercise.scenario.version,
      scenarioHash: exercise.scenario.sourceHash,
      rank: standing.rank,
      teamId: standing.teamId,
      teamName: standing.teamName,
    };
    exercise.objectives.forEach((objective, index) => {
      const solve = solves.get(objective.id);
      const s = stats[index];
      const firstBlood = solve !== undefined && s?.firstBlood?.teamId === standing.teamId;
      const value = solve && s ? s.value + (firstBlood ? firstBloodBonus(s.value, percent) : 0) : 0;
      const h = hints.get(objective.id) ?? { ids: [], cost: 0 };
      rows.push({
        ...common,
        kind: 'objective',
        objectiveId: objective.id,
        solved: solve !== undefined,
        time: solve ? new Date(solve.at).toISOString() : null,
        via: solve?.via ?? null,
        points: value,
        firstBlood,
        hintsUsed: h.ids.length,
        hintIds: h.ids,
        hintCost: h.cost,
        net: value - h.cost,
        note: '',
      });
    });
    for (const award of awards)
      rows.push({
        ...common,
        kind: 'award',
        objectiveId: null,
        solved: false,
        time: new Date(award.at).toISOString(),
        via: null,
        points: award.points,
        firstBlood: false,
        hintsUsed: 0,
        hintIds: [],
        hintCost: 0,
        net: award.points,
        note: award.reason,
      });
  }
  return rows;
}

const COLUMNS: readonly { header: string; cell: (row: ResultRow) => CsvValue }[] = [
  { header: 'exercise', cell: (r) => r.exerciseId },
  { header: 'scenario', cell: (r) => r.scenarioId },
  { header: 'scenario_version', cell: (r) => r.scenarioVersion },
  { header: 'scenario_hash', cell: (r) => r.scenarioHash },
  { header: 'rank', cell: (r) => r.rank },
  { header: 'team_id', cell: (r) => r.teamId },
  { header: 'team_name', cell: (r) => r.teamName },
  { header: 'kind', cell: (r) => r.kind },
  { header: 'objective', cell: (r) => r.objectiveId },
  { header: 'solved', cell: (r) => r.solved },
  { header: 'time', cell: (r) => r.time },
  { header: 'via', cell: (r) => r.via },
  { header: 'points', cell: (r) => r.points },
  { header: 'first_blood', cell: (r) => r.firstBlood },
  { header: 'hints_used', cell: (r) => r.hintsUsed },
  { header: 'hint_ids', cell: (r) => r.hintIds.join(' ') },
  { header: 'hint_cost', cell: (r) => r.hintCost },
  { header: 'net', cell: (r) => r.net },
  { header: 'note', cell: (r) => r.note },
];

export type CsvValue = string | number | boolean | null;

/**
 * One CSV field (RFC 4180): quoted when it holds a quote, comma, CR or LF, quotes doubled.
 * Text (never numbers we format ourselves) starting with `=`, `+`, `-`, `@`, tab or CR is prefixed
 * with `'` so a spreadsheet shows it instead of evaluating it (OWASP "CSV injection").
 */
export function csvField(value: CsvValue): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const guarded = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}

/** Records joined with CRLF, ending with CRLF, header first. */
export function toCsv(header: readonly string[], records: readonly (readonly CsvValue[])[]): string {
  const lines = [header.map(csvField).join(',')];
  for (const record of records) lines.push(record.map(csvField).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** UTF-8 with a byte order mark: Japanese Excel reads team names and notes as UTF-8, not Shift_JIS. */
export function resultsCsv(rows: readonly ResultRow[]): string {
  return (
    '\uFEFF' +
    toCsv(
      COLUMNS.map((c) => c.header),
      rows.map((row) => COLUMNS.map((c) => c.cell(row))),
    )
  );
}

export function resultsJson(rows: readonly ResultRow[]): string {
  return `${JSON.stringify(rows, null, 2)}\n`;
}

/** Results of one exercise as CSV or JSON text. */
export function exportResults(
  projection: ScoreboardProjection,
  options: { format: 'csv' | 'json'; view?: BoardView },
): string {
  const rows = resultRows(projection, options.view ? { view: options.view } : {});
  return options.format === 'csv' ? resultsCsv(rows) : resultsJson(rows);
}
