import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cyrop, SHARED } from './helpers.ts';

describe('cyrop CLI', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const scenario = (name: string, body: string): string => {
    const folder = path.join(dir, name);
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'scenario.yaml'), body);
    return folder;
  };
  const minimal = (extra = '', objectiveExtra = ''): string => `apiVersion: cyrop/v1
kind: Scenario
metadata: { id: tiny, version: 1.0.0, title: Tiny, category: other, difficulty: beginner }
${extra}
hosts:
  - name: box
    image: cyrop/attacker:1
    networks: [lan]
    console: true
networks: [{ name: lan }]
objectives:
  - { id: one, kind: question, title: One, points: 10, question: { answers: ["42"] }${objectiveExtra} }
`;

  it('reports every problem of every file as file:line:col  /pointer  message, with a summary, exit 1', () => {
    const bad = scenario(
      'bad',
      minimal().replace('difficulty: beginner', 'difficulty: easy').replace('points: 10', 'points: -1'),
    );
    const good = scenario('good', minimal());
    const r = cyrop(['validate', bad, good]);
    expect(r.status).to.equal(1);
    const file = path.join(bad, 'scenario.yaml');
    expect(r.stdout).to.contain(
      `${file}:3:81  /metadata/difficulty  must be one of: beginner, intermediate, advanced (got "easy")`,
    );
    expect(r.stdout).to.contain(`${file}:12:52  /objectives/0/points  must be >= 0 (got number -1)`);
    expect(r.stdout).to.match(/^2 scenarios checked: 1 invalid, 2 errors, 0 warnings$/m);
    expect(r.stdout + r.stderr).to.not.match(/^\s+at /m);
  });

  it('speaks JSON for machines', () => {
    const bad = scenario('bad-json', minimal('parameters: { unused: { kind: static, value: 1 } }'));
    const r = cyrop(['validate', bad, '--format', 'json']);
    expect(r.status).to.equal(0);
    const out = JSON.parse(r.stdout) as {
      files: { valid: boolean; diagnostics: { severity: string; pointer: string; line: number }[] }[];
      summary: Record<string, number>;
    };
    expect(out.summary).to.deep.equal({ files: 1, invalid: 0, errors: 0, warnings: 1 });
    expect(out.files[0]!.diagnostics[0]).to.include({
      severity: 'warning',
      pointer: '/parameters/unused',
      line: 4,
    });
  });

  it('gives a clear error, not a stack trace, for a path that does not exist or a bad option', () => {
    const missing = cyrop(['validate', path.join(dir, 'nope')]);
    expect(missing.status).to.equal(2);
    expect(missing.stderr).to.equal(`cyrop: ${path.join(dir, 'nope')}: no such file or folder\n`);
    const teams = cyrop(['plan', scenario('p', minimal()), '--teams', 'many']);
    expect(teams.status).to.equal(2);
    expect(teams.stderr).to.contain("'many' is not a positive whole number");
    const plan = cyrop(['plan', scenario('p2', minimal()), '--teams', '2', '--secret', 'short']);
    expect(plan.status).to.equal(2);
    expect(plan.stderr).to.equal('cyrop: the exercise secret must be at least 8 characters\n');
  });

  it('plans in text for people, and prints the secret it made up when none is given', () => {
    const r = cyrop(['plan', scenario('text', minimal()), '--teams', '2']);
    expect(r.status).to.equal(0);
    expect(r.stderr).to.match(/no --secret given; using \S+ \(pass it as --secret/);
    expect(r.stdout).to.match(/^Team 1 \(team-1\)/m);
    expect(r.stdout).to.match(/^Team 2 \(team-2\)/m);
    expect(r.stdout).to.contain('box              cyrop/attacker:1  lan=10.200.1.10');
  });

  it('checks competency ids against an imported NICE catalogue, suggesting the closest', function () {
    const file = path.join(SHARED, 'nice', 'nice_v2.1.0_cprt_SP_800_181_2_1_0.json');
    const env = { CYROP_DATA_DIR: path.join(dir, 'data') };
    const competencies =
      'competencies: { framework: nice-2.1.0, workRoles: [PD-WRL-001], statements: [K1079] }';
    const folder = scenario('nice', minimal(competencies, ', competencies: [K9079]'));
    const before = cyrop(['validate', folder], env);
    expect(before.status).to.equal(0);
    expect(before.stdout).to.contain('checked for syntax only');
    try {
      const imported = cyrop(['nice', 'import', file], env);
      expect(imported.status, imported.stderr).to.equal(0);
      expect(imported.stdout).to.contain('imported nice-2.1.0 (document version 2.1.0)');
    } catch (error) {
      if (!(error instanceof Error) || !/ENOENT/.test(error.message)) throw error;
      this.skip();
    }
    const after = cyrop(['validate', folder], env);
    expect(after.status).to.equal(1);
    expect(after.stdout).to.match(
      /\/objectives\/0\/competencies\/0 {2}unknown statement K9079 in nice-2.1.0 \(closest: K\d{4}/,
    );
    const show = cyrop(['nice', 'show', 'K1079'], env);
    expect(show.stdout).to.contain('Knowledge of web application security risks');
  });
});
