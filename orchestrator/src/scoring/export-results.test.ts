import { expect } from 'chai';
import { csvField, exportResults, resultRows, resultsCsv, toCsv, type ResultRow } from './export-results.ts';
import type { BoardView } from './scoreboard-projection.ts';
import { decideHintUnlock, decideSubmission } from './scoring-decisions.ts';
import { simulateExercise, teamFlag, testExercise, TestLog } from './scoring-test-data.ts';

const T0 = Date.UTC(2026, 3, 1, 9, 0, 0);

/** Two teams; one with a hostile name. team-a: recon, hint h1, sqli (first blood on both); team-b: recon, award. */
function finishedExercise(): TestLog {
  const exercise = testExercise({
    teams: ['team-a', 'team-b'],
    teamName: (id) => (id === 'team-a' ? '=HYPERLINK("http://evil.example","win")' : 'Blue, "the" Team'),
    scoring: { firstBloodBonusPercent: 10 },
  });
  const log = new TestLog(exercise);
  const p = log.projection;
  log.append([{ type: 'exercise-started', at: T0 }]);
  log.append(
    decideSubmission(p, { teamId: 'team-a', objectiveId: 'recon', text: '8080' }, T0 + 1_000).events,
  );
  log.append(decideHintUnlock(p, { teamId: 'team-a', objectiveId: 'sqli', hintId: 'h1' }, T0 + 2_000).events);
  log.append(
    decideSubmission(
      p,
      { teamId: 'team-a', objectiveId: 'sqli', text: teamFlag('team-a', 'sqli') },
      T0 + 3_000,
    ).events,
  );
  log.append(
    decideSubmission(p, { teamId: 'team-b', objectiveId: 'recon', text: 'tcp/8080' }, T0 + 4_000).events,
  );
  log.append([{ type: 'freeze', at: T0 + 5_000 }]);
  log.append([
    { type: 'award', at: T0 + 6_000, teamId: 'team-b', points: -15, reason: '-cheating\nsecond line' },
  ]);
  log.append(decideHintUnlock(p, { teamId: 'team-b', objectiveId: 'sqli', hintId: 'h2' }, T0 + 7_000).events);
  log.append([{ type: 'exercise-ended', at: T0 + 8_000 }]);
  return log;
}

function sumByTeam(rows: readonly ResultRow[]): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const r of rows) sums[r.teamId] = (sums[r.teamId] ?? 0) + r.net;
  return sums;
}

describe('export-results', () => {
  it('escapes CSV fields per RFC 4180', () => {
    expect(csvField('plain')).to.equal('plain');
    expect(csvField('a,b')).to.equal('"a,b"');
    expect(csvField('say "hi"')).to.equal('"say ""hi"""');
    expect(csvField('line1\nline2')).to.equal('"line1\nline2"');
    expect(csvField('cr\rlf')).to.equal('"cr\rlf"');
    expect(csvField(null)).to.equal('');
    expect(csvField(true)).to.equal('true');
    expect(toCsv(['a', 'b'], [[1, 'x,y']])).to.equal('a,b\r\n1,"x,y"\r\n');
  });

  it('guards text cells against spreadsheet formula injection, but not the numbers it formats', () => {
    expect(csvField('=1+1')).to.equal("'=1+1");
    expect(csvField('+41 22 000')).to.equal("'+41 22 000");
    expect(csvField('-2+3')).to.equal("'-2+3");
    expect(csvField('@SUM(A1:A9)')).to.equal("'@SUM(A1:A9)");
    expect(csvField('\t=cmd')).to.equal("'\t=cmd");
    expect(csvField('=HYPERLINK("http://x","y")')).to.equal('"\'=HYPERLINK(""http://x"",""y"")"');
    expect(csvField('a=b')).to.equal('a=b');
    expect(csvField(-20)).to.equal('-20');
  });

  it('exports one row per team × objective plus awards, summing to the board in each view', () => {
    const log = finishedExercise();
    const p = log.projection;
    for (const view of ['live', 'public'] as BoardView[]) {
      const rows = resultRows(p, { view });
      const board = Object.fromEntries(p.board(view).map((r) => [r.teamId, r.points]));
      expect(sumByTeam(rows), view).to.deep.equal(board);
    }
    const rows = resultRows(p);
    expect(rows).to.have.length(2 * 5 + 1);
    const sqli = rows.find((r) => r.teamId === 'team-a' && r.objectiveId === 'sqli')!;
    expect(sqli).to.deep.include({
      solved: true,
      time: '2026-04-01T09:00:03.000Z',
      via: 'flag',
      points: 220, // 200 + 10 % first blood
      firstBlood: true,
      hintsUsed: 1,
      hintIds: ['h1'],
      hintCost: 20,
      net: 200,
    });
    const hintOnly = rows.find((r) => r.teamId === 'team-b' && r.objectiveId === 'sqli')!;
    expect(hintOnly).to.deep.include({ solved: false, time: null, points: 0, hintCost: 30, net: -30 });
    // the public (frozen) results leave out the award and the hint after the freeze
    const publicB = resultRows(p, { view: 'public' }).filter((r) => r.teamId === 'team-b');
    expect(publicB.map((r) => r.net)).to.deep.equal([50, 0, 0, 0, 0]);
  });

  it('writes CSV that a spreadsheet reads back without evaluating anything, naming the scenario version it ran', () => {
    const withBom = exportResults(finishedExercise().projection, { format: 'csv' });
    // A byte order mark first, once: Japanese Excel then reads UTF-8.
    expect(withBom.startsWith('\uFEFF')).to.equal(true);
    const csv = withBom.slice(1);
    expect(csv.includes('\uFEFF')).to.equal(false);
    const lines = csv.split('\r\n');
    expect(lines[0]).to.equal(
      'exercise,scenario,scenario_version,scenario_hash,rank,team_id,team_name,kind,objective,solved,time,via,points,first_blood,hints_used,hint_ids,hint_cost,net,note',
    );
    expect(lines[1]).to.equal(
      'ex-1,web-sqli-basics,1.0.0,source,1,team-a,"\'=HYPERLINK(""http://evil.example"",""win"")",objective,recon,true,2026-04-01T09:00:01.000Z,question,55,true,0,,0,55,',
    );
    expect(csv).to.include(
      ',"Blue, ""the"" Team",award,,false,2026-04-01T09:00:06.000Z,,-15,false,0,,0,-15,"\'-cheating\nsecond line"\r\n',
    );
    expect(csv.endsWith('\r\n')).to.equal(true);
    // every record has 19 fields once quoted fields are taken as one (a minimal RFC 4180 reader)
    const records = parseCsv(csv);
    expect(records).to.have.length(1 + 2 * 5 + 1);
    for (const record of records) expect(record).to.have.length(19);
    expect(records[1]![6]).to.equal('\'=HYPERLINK("http://evil.example","win")');
  });

  it('exports JSON rows, and large simulated exercises consistently', () => {
    const exercise = testExercise({ teams: 5, scoring: { firstBloodBonusPercent: 10 } });
    const { projection } = simulateExercise(exercise, { seed: 5, steps: 1500 });
    const rows = JSON.parse(exportResults(projection, { format: 'json' })) as ResultRow[];
    expect(rows).to.deep.equal(resultRows(projection));
    const board = Object.fromEntries(projection.board('live').map((r) => [r.teamId, r.points]));
    expect(sumByTeam(rows)).to.deep.equal(board);
    expect(parseCsv(resultsCsv(rows))).to.have.length(rows.length + 1);
  });
});

function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += c;
  }
  return records;
}
