import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cyrop, REPO } from './helpers.ts';

const EXAMPLE = path.join(REPO, 'tests/fixtures/valid/format-example');
const GOLDEN = path.join(REPO, 'tests/fixtures/golden/format-example.plans.json');
const PLAN_ARGS = [
  'plan',
  EXAMPLE,
  '--teams',
  '3',
  '--secret',
  'golden-secret-1',
  '--exercise',
  'golden',
  '--format',
  'json',
];

describe('the example of docs/scenario-format.md', function () {
  this.timeout(120_000); // several CLI runs, each a new node process
  it('is the complete example of docs/scenario-format.md, unchanged', () => {
    const doc = path.join(REPO, 'docs/scenario-format.md');
    const block = /^```yaml tests\/fixtures\/valid\/format-example\n([\s\S]*?)^```$/m.exec(
      readFileSync(doc, 'utf8'),
    )?.[1];
    expect(block, 'the yaml block of docs/scenario-format.md').to.be.a('string');
    expect(readFileSync(path.join(EXAMPLE, 'scenario.yaml'), 'utf8')).to.equal(block);
  });

  it('validates with no errors and no warnings', () => {
    const r = cyrop(['validate', EXAMPLE]);
    expect(r.stderr).to.equal('');
    expect(r.stdout).to.match(/^1 scenario checked: all valid, 0 errors, 0 warnings$/m);
    expect(r.status).to.equal(0);
  });

  it('plans byte-identically to the golden file (UPDATE_GOLDEN=1 rewrites it)', () => {
    const r = cyrop(PLAN_ARGS);
    expect(r.status, r.stderr).to.equal(0);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, r.stdout);
    expect(r.stdout).to.equal(readFileSync(GOLDEN, 'utf8'));
  });

  it('plans the same twice, and differently per team and per secret', () => {
    const a = cyrop(PLAN_ARGS).stdout;
    expect(cyrop(PLAN_ARGS).stdout).to.equal(a);
    const plans = JSON.parse(a) as {
      team: { id: string };
      hash: string;
      networks: { name: string; subnet: string }[];
      hosts: { name: string; env: Record<string, string>; files: { path: string; content: string }[] }[];
      objectives: { id: string; flag?: { exact: string } }[];
    }[];
    expect(plans.map((p) => p.team.id)).to.deep.equal(['team-1', 'team-2', 'team-3']);
    const flags = plans.map((p) => p.objectives.find((o) => o.id === 'sqli')!.flag!.exact);
    expect(new Set(flags).size).to.equal(3);
    for (const [i, p] of plans.entries()) {
      // the flag objective and the file the trainee must read agree
      const web = p.hosts.find((h) => h.name === 'web')!;
      expect(web.files.find((f) => f.path === '/srv/flag.txt')!.content).to.equal(`${flags[i]!}\n`);
      expect(web.files.find((f) => f.path === '/srv/app/config.ini')!.content).to.contain(
        `password = ${web.env.DB_PASSWORD!}`,
      );
    }
    expect(new Set(plans.map((p) => p.hosts.find((h) => h.name === 'web')!.env.DB_PASSWORD)).size).to.equal(
      3,
    );
    // dmz is allocated per team without overlap; corp is fixed by the scenario
    expect(plans.map((p) => p.networks.find((n) => n.name === 'dmz')!.subnet)).to.deep.equal([
      '10.200.0.0/24',
      '10.200.1.0/24',
      '10.200.2.0/24',
    ]);
    expect(plans.map((p) => p.networks.find((n) => n.name === 'corp')!.subnet)).to.deep.equal(
      Array(3).fill('10.20.0.0/24'),
    );
    const other = JSON.parse(
      cyrop([...PLAN_ARGS.slice(0, 5), 'another-secret', ...PLAN_ARGS.slice(6)]).stdout,
    ) as typeof plans;
    expect(other[0]!.objectives.find((o) => o.id === 'sqli')!.flag!.exact).to.not.equal(flags[0]);
    expect(other[0]!.hash).to.not.equal(plans[0]!.hash);
  });
});
