import { parse } from 'csv-parse/sync';

/** One trainee of a roster: their team (by name), the name shown to others, an optional e-mail. */
export interface RosterRow {
  /** 1-based line in the file (the header is line 1). */
  line: number;
  team: string;
  displayName: string;
  email?: string;
}

export interface RosterProblem {
  line: number;
  message: string;
}

export const ROSTER_LIMITS = { bytes: 512 * 1024, rows: 5000, field: 100 };

/** Header names accepted for each column (compared case-insensitively, spaces and `_`/`-` ignored). */
const HEADERS: Record<'team' | 'displayName' | 'email', readonly string[]> = {
  team: ['team', 'teamname', 'チーム', 'チーム名', '班'],
  displayName: ['displayname', 'name', 'trainee', '表示名', '氏名', '名前', '受講者', '受講者名'],
  email: ['email', 'e-mail', 'mail', 'メール', 'メールアドレス', 'eメール'],
};
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,189}$/;

const key = (header: string) =>
  header
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s_-]/g, '');

/**
 * Parse a roster CSV (UTF-8, with or without BOM; comma separated, quoted fields as RFC 4180) with a
 * header row naming the columns team, display name and optionally e-mail, in English or Japanese.
 * Every problem is reported with its line; a file with any problem yields no rows, so nothing is
 * imported from it.
 */
export function parseRosterCsv(text: string): { rows: RosterRow[]; problems: RosterProblem[] } {
  if (Buffer.byteLength(text, 'utf8') > ROSTER_LIMITS.bytes)
    return {
      rows: [],
      problems: [{ line: 0, message: `a roster has at most ${ROSTER_LIMITS.bytes / 1024} KiB` }],
    };
  let records: string[][];
  try {
    records = parse(text.replace(/^\uFEFF/, ''), {
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
    });
  } catch (error) {
    const line = (error as { lines?: number }).lines ?? 0;
    return { rows: [], problems: [{ line, message: `not a CSV file: ${(error as Error).message}` }] };
  }
  const [header, ...body] = records;
  if (!header)
    return { rows: [], problems: [{ line: 1, message: 'the file is empty: expected a header row' }] };
  const columns: Partial<Record<keyof typeof HEADERS, number>> = {};
  header.forEach((name, i) => {
    for (const [column, names] of Object.entries(HEADERS) as [keyof typeof HEADERS, readonly string[]][])
      if (names.map(key).includes(key(name)) && columns[column] === undefined) columns[column] = i;
  });
  const problems: RosterProblem[] = [];
  if (columns.team === undefined || columns.displayName === undefined) {
    problems.push({
      line: 1,
      message: `the header must name the columns team and display name (e.g. "team,display name,email" or "チーム,表示名,メールアドレス"); found: ${header.join(', ')}`,
    });
    return { rows: [], problems };
  }
  if (body.length > ROSTER_LIMITS.rows)
    return { rows: [], problems: [{ line: 0, message: `a roster has at most ${ROSTER_LIMITS.rows} rows` }] };
  const rows: RosterRow[] = [];
  const emails = new Map<string, number>();
  body.forEach((record, i) => {
    const line = i + 2;
    const cell = (c: number | undefined) => (c === undefined ? '' : (record[c] ?? '').trim());
    const team = cell(columns.team);
    const displayName = cell(columns.displayName);
    const email = cell(columns.email).toLowerCase();
    if (team === '') problems.push({ line, message: 'the team is empty' });
    if (displayName === '') problems.push({ line, message: 'the display name is empty' });
    for (const [what, value] of [
      ['team', team],
      ['display name', displayName],
    ] as const) {
      if (value.length > ROSTER_LIMITS.field)
        problems.push({ line, message: `the ${what} has more than ${ROSTER_LIMITS.field} characters` });
      if (/\p{Cc}/u.test(value)) problems.push({ line, message: `the ${what} holds control characters` });
    }
    if (email !== '') {
      if (!EMAIL.test(email))
        problems.push({ line, message: `'${email.slice(0, 80)}' is not an e-mail address` });
      const seen = emails.get(email);
      if (seen !== undefined)
        problems.push({ line, message: `${email} is listed twice (also on line ${seen})` });
      emails.set(email, line);
    }
    rows.push({ line, team, displayName, ...(email !== '' ? { email } : {}) });
  });
  if (rows.length === 0 && problems.length === 0)
    problems.push({ line: 2, message: 'the roster lists nobody' });
  return problems.length > 0 ? { rows: [], problems } : { rows, problems };
}

/** The team names of a roster, in the order they first appear. */
export function rosterTeams(rows: readonly RosterRow[]): string[] {
  return [...new Set(rows.map((r) => r.team))];
}
