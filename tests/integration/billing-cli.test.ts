import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { pdfPages } from '../../orchestrator/src/documents/pdf-test-tools.ts';
import { cyrop, REPO } from './helpers.ts';

/**
 * `cyrop billing …` and `cyrop org … --kind … --co-nexus …` on a data directory: import (all or
 * nothing, every problem with line and column), the statement of the worked example in
 * JSON, text and CSV (BOM), the fee run, verify (clean, then after tampering at the database), and
 * kill -9 during an import leaving all rows or none.
 */
describe('cyrop billing CLI (data directory)', function () {
  this.timeout(300_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let dbFile: string;
  const ok = (args: string[]) => {
    const r = cyrop(args, env);
    expect(r.status, `cyrop ${args.join(' ')}: ${r.stderr}`).to.equal(0);
    return r.stdout;
  };
  const journalRows = () => {
    const db = new SQLite(dbFile, { readonly: true });
    try {
      return (db.prepare('select count(*) as n from journal').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-billing-cli-'));
    env = {
      CYROP_DATA_DIR: path.join(dir, 'data'),
      CYROP_SCENARIOS_DIR: path.join(REPO, 'tests/fixtures/valid'),
    };
    dbFile = path.join(dir, 'data', 'cyrop.db');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('org create/update take the member category as --kind and the Co-Nexus list; the check digit is checked', () => {
    const operator = (
      JSON.parse(cyrop(['org', 'list', '--format', 'json'], env).stdout) as { id: string }[]
    )[0]!.id;
    const wrong = cyrop(['org', 'update', operator, '--invoice-number', 'T8000012050002'], env);
    expect(wrong.status).to.equal(2);
    expect(wrong.stderr).to.contain(
      'invoiceRegistrationNumber: check digit 8 is wrong for 000012050002 (expected 7)',
    );
    ok(['org', 'update', operator, '--name', 'CYROP運営', '--invoice-number', 'T7000012050002']);
    const acme = JSON.parse(
      ok([
        'org',
        'create',
        '--name',
        'Acme Training',
        '--kind',
        'training-company,sme',
        '--co-nexus',
        'A,C',
        '--format',
        'json',
      ]),
    ) as { kind: string; category: string; coNexus: string[] };
    expect(acme).to.include({ kind: 'training-company', category: 'sme' });
    expect(acme.coNexus).to.deep.equal(['A', 'C']);
    const school = JSON.parse(
      ok(['org', 'create', '--name', 'School', '--kind', 'education', '--format', 'json']),
    ) as {
      id: string;
      kind: string;
      category: string;
    };
    expect(school).to.include({ kind: 'customer', category: 'educational-institution' });
    const updated = JSON.parse(
      ok([
        'org',
        'update',
        school.id,
        '--kind',
        'general-association',
        '--co-nexus',
        'C',
        '--format',
        'json',
      ]),
    ) as {
      category: string;
      coNexus: string[];
    };
    expect(updated).to.deep.include({ category: 'general-incorporated-association', coNexus: ['C'] });
    const bad = cyrop(['org', 'create', '--name', 'X', '--kind', 'startup'], env);
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.contain("'startup' is not a kind");
  });

  it('imports all or nothing, then prints the worked example in JSON, text and CSV with BOM; fees; verify', () => {
    const badFile = path.join(dir, 'bad.csv');
    writeFileSync(badFile, '\uFEFF日付,顧客,金額\n2026/4/3,A社,"123,456"\n2026/4/20,,78901\n');
    const bad = cyrop(['billing', 'sales', 'import', '--org', 'Acme Training', badFile], env);
    expect(bad.status).to.equal(1);
    expect(bad.stdout).to.equal(
      `${badFile}: line 3, column 顧客: is empty\n1 problem(s): nothing imported\n`,
    );
    expect(journalRows()).to.equal(0);
    const good = path.join(dir, 'sales.csv');
    writeFileSync(
      good,
      '\uFEFF日付,顧客,コース,席数,単価,金額\n2026/4/3,A社,web,2,61728,"123,456"\n2026/4/20,B社,web,,,78901\n',
    );
    expect(ok(['billing', 'sales', 'import', '--org', 'Acme Training', good])).to.equal(
      'imported 2 sale(s), ¥202,357 (tax excluded)\n',
    );

    const doc = JSON.parse(
      ok(['billing', 'statement', '--org', 'Acme Training', '--period', '2026-04', '--format', 'json']),
    ) as {
      totalYen: number;
      taxTotals: unknown[];
      issuer: unknown;
    };
    expect(doc.totalYen).to.equal(22_258);
    expect(doc.taxTotals).to.deep.equal([{ taxRatePercent: 10, taxableYen: 20_235, taxYen: 2_023 }]);
    expect(doc.issuer).to.deep.equal({ name: 'CYROP運営', registrationNumber: 'T7000012050002' });
    expect(ok(['billing', 'statement', '--org', 'Acme Training', '--period', '2026-04'])).to.contain(
      'total: ¥22,258\n',
    );
    const csv = ok([
      'billing',
      'statement',
      '--org',
      'Acme Training',
      '--period',
      '2026-04',
      '--format',
      'csv',
    ]);
    expect(csv.startsWith('\uFEFF行種別,請求書番号,')).to.equal(true);
    expect(csv).to.match(/\r\n合計,UF-2026-04-[0-9A-F]{8},.*,20235,2023,22258\r\n$/);
    const file = path.join(dir, 'statement.pdf');
    expect(
      ok([
        'billing',
        'statement',
        '--org',
        'Acme Training',
        '--period',
        '2026-04',
        '--format',
        'pdf',
        '--lang',
        'en',
        '--output',
        file,
      ]),
    ).to.match(/statement\.pdf: statement UF-2026-04-[0-9A-F]{8}, \d+ line\(s\)/);
    const pdfText = pdfPages(readFileSync(file)).join('\n');
    for (const item of ['Qualified Invoice', 'Acme Training', '¥20,235', '¥2,023', '¥22,258'])
      expect(pdfText, item).to.include(item);

    const fees = JSON.parse(ok(['billing', 'fees', '--fiscal-year', '2026', '--format', 'json'])) as {
      invoices: { recipient: { name: string }; totalYen: number }[];
    };
    // By hand: SME 500,000 × 3/2 = 750,000 + 75,000 tax; association 500,000 × 1 + 50,000 tax.
    expect(fees.invoices.map((i) => [i.recipient.name, i.totalYen])).to.deep.equal([
      ['Acme Training', 825_000],
      ['School', 550_000],
    ]);
    expect(ok(['billing', 'fees', '--fiscal-year', '2026', '--format', 'csv']).split('\r\n')[0]).to.equal(
      '\uFEFFfiscal_year,invoice_number,issued,org_id,recipient,issued_on,due_on,taxable_yen,tax_yen,total_yen,description_en',
    );
    expect(ok(['billing', 'verify'])).to.match(/^journal intact: 2 entries, head [0-9a-f]{64}\n$/);
  });

  it('verify exits 1 and names the entry after a row is edited at the database', () => {
    const db = new SQLite(dbFile);
    try {
      expect(() => db.prepare('update journal set amount_yen = 1 where seq = 1').run()).to.throw(
        /append-only/,
      );
      db.exec('drop trigger journal_no_update');
      db.prepare('update journal set amount_yen = 100000 where seq = 1').run();
    } finally {
      db.close();
    }
    const r = cyrop(['billing', 'verify'], env);
    expect(r.status).to.equal(1);
    expect(r.stdout).to.match(
      /^entry 1 \(.*\): its fields do not match its hash \(the entry was edited\)\njournal TAMPERED: 1 problem\(s\) in 2 entries\n$/,
    );
  });

  it('kill -9 during an import of 20,000 rows leaves all of them or none, and an intact chain', async () => {
    // a fresh data directory: the previous test tampered with this one
    env = { ...env, CYROP_DATA_DIR: path.join(dir, 'data2') };
    dbFile = path.join(dir, 'data2', 'cyrop.db');
    ok(['org', 'create', '--name', 'Big Co', '--kind', 'training-company']);
    const file = path.join(dir, 'big.csv');
    let text = 'date,customer,amount\n';
    for (let i = 0; i < 20_000; i++)
      text += `2026-05-${String(1 + (i % 28)).padStart(2, '0')},Customer ${i % 97},${1000 + i}\n`;
    writeFileSync(file, text);
    const outcomes: string[] = [];
    let expected = 0;
    const wal = `${dbFile}-wal`;
    const walSize = () => {
      try {
        return statSync(wal).size;
      } catch {
        return 0;
      }
    };
    // 'wal': killed once the import's transaction has spilled 256 KiB of pages into the WAL (mid-write;
    // opening the store writes only a few pages)
    for (const delayMs of ['wal', 'wal', 1500, 3000, 6000] as const) {
      const child = spawn(
        process.execPath,
        [path.join(REPO, 'orchestrator/bin/cyrop.js'), 'billing', 'sales', 'import', '--org', 'Big Co', file],
        {
          cwd: REPO,
          env: { ...process.env, CYROP_LOG_LEVEL: 'silent', ...env },
          stdio: 'ignore',
        },
      );
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.on('exit', (_code, signal) => resolve(signal)),
      );
      if (delayMs === 'wal') {
        const before = walSize();
        const started = Date.now();
        while (walSize() < before + 256 * 1024 && Date.now() - started < 30_000)
          await new Promise((resolve) => setTimeout(resolve, 2));
      } else await new Promise((resolve) => setTimeout(resolve, delayMs));
      child.kill('SIGKILL');
      const signal = await exited;
      const rows = journalRows();
      expect([expected, expected + 20_000], `after kill at ${delayMs} ms`).to.include(rows);
      outcomes.push(
        `${delayMs}${delayMs === 'wal' ? '' : 'ms'}:${signal ?? 'exited'}:${rows - expected === 0 ? 'none' : 'all'}`,
      );
      expected = rows;
    }
    expect(ok(['billing', 'verify'])).to.match(/^journal intact: /);
    // at least one import was killed before it finished, or the test proved nothing
    expect(outcomes.some((o) => o.includes('SIGKILL'))).to.equal(true, outcomes.join(' '));
    console.log(`      kill -9 outcomes: ${outcomes.join(' ')}`);
  });
});
