import { expect } from 'chai';
import { parseRosterCsv, rosterTeams } from './roster-csv.ts';

describe('parseRosterCsv', () => {
  it('reads English and Japanese headers, quoted fields, CRLF, a BOM and blank lines', () => {
    const en = parseRosterCsv(
      'Display Name,Team,E-mail\r\n"Doe, Jane",Red,JANE@Example.com\r\n\r\nBob,Blue,\r\n',
    );
    expect(en.problems).to.deep.equal([]);
    expect(en.rows).to.deep.equal([
      { line: 2, team: 'Red', displayName: 'Doe, Jane', email: 'jane@example.com' },
      { line: 3, team: 'Blue', displayName: 'Bob' },
    ]);
    const ja = parseRosterCsv('\uFEFF班,氏名\n１班,田中\n２班,"中村 ""ハナ"" 花子"\n３班,"改行\nあり"\n');
    // a name split over two lines is refused (line 4 is where its record starts)
    expect(ja.problems).to.deep.equal([{ line: 4, message: 'the display name holds control characters' }]);
    const ok = parseRosterCsv('\uFEFF班,氏名\n１班,田中\n２班,"中村 ""ハナ"" 花子"\n');
    expect(rosterTeams(ok.rows)).to.deep.equal(['１班', '２班']);
    expect(ok.rows[1]?.displayName).to.equal('中村 "ハナ" 花子');
  });

  it('names what is missing from the header, and imports nothing from a file with any problem', () => {
    expect(parseRosterCsv('name,email\nA,a@example.com\n').problems[0]).to.deep.include({ line: 1 });
    expect(parseRosterCsv('').problems).to.deep.equal([
      { line: 1, message: 'the file is empty: expected a header row' },
    ]);
    const bad = parseRosterCsv('team,name\nRed,A\nRed,\u0007bell\n');
    expect(bad.rows).to.deep.equal([]);
    expect(bad.problems).to.deep.equal([{ line: 3, message: 'the display name holds control characters' }]);
    expect(parseRosterCsv('team,name\nRed,"unclosed\n').problems[0]?.message).to.match(/^not a CSV file/);
  });
});
