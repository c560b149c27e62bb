import { expect } from 'chai';
import type { EnvironmentPlan, PlannedHost } from './environment-plan.ts';
import { addressUses, bindAddresses } from './plan-addresses.ts';

const host = (name: string, address: string, extra: Partial<PlannedHost> = {}): PlannedHost => ({
  name,
  hash: `h-${name}`,
  hostname: name,
  image: 'img:1',
  networks: [{ name: 'lan', address, aliases: [] }],
  console: null,
  capabilities: [],
  resources: { cpu: 1, memoryBytes: 1 << 26, pids: 64, diskBytes: 0 },
  env: {},
  files: [],
  ...extra,
});

const plan = (): EnvironmentPlan => ({
  apiVersion: 'cyrop.io/plan/v1',
  hash: 'plan-hash',
  exercise: { id: 'ex' },
  team: { id: 'team-1', name: 'Team 1', index: 1 },
  scenario: { id: 's', version: '1.0.0', sourceHash: 'x' },
  labels: {},
  networks: [{ name: 'lan', subnet: '10.1.0.0/24', gateway: '10.1.0.1', fixed: false }],
  hosts: [
    host('web', '10.1.0.10', {
      env: { PEER: '10.1.0.11' },
      files: [
        {
          path: '/etc/peer',
          encoding: 'utf8',
          content: 'peer=10.1.0.11\nnot=110.1.0.11 10.1.0.115 10.1.0.11.5\n',
          mode: 0o644,
        },
        {
          path: '/bin/blob',
          encoding: 'base64',
          content: Buffer.from('\x00ip 10.1.0.10\x00').toString('base64'),
          mode: 0o755,
        },
        { path: '/etc/motd', encoding: 'utf8', content: 'hello\n', mode: 0o644 },
      ],
    }),
    host('db', '10.1.0.11', { command: ['nc', '10.1.0.10', '80'] }),
  ],
  objectives: [
    {
      id: 'where',
      kind: 'question',
      title: { en: 'Where is db?', ja: 'db はどこ？' },
      description: { en: 'Not 10.1.0.10.', ja: '10.1.0.10 ではない。' },
      points: 1,
      requires: [],
      competencies: [],
      hints: [{ id: 'h', cost: 1, text: 'try 10.1.0.11' }],
      question: { answers: ['10.1.0.11', '10.1.0.11:5432'], caseSensitive: false },
    },
    {
      id: 'flag',
      kind: 'flag',
      title: 'F',
      points: 1,
      requires: [],
      competencies: [],
      hints: [],
      flag: { exact: 'FLAG{10.1.0.10}' },
    },
  ],
  scoring: { model: 'static', firstBloodBonusPercent: 0 },
  settings: { recordKeystrokes: false, wrongSubmissionsPerMinute: 10 },
});

describe('plan addresses (late binding for engines that assign them)', () => {
  it('finds every place a planned address is spelled, with its kind and holder, and only whole addresses', () => {
    const uses = addressUses(plan());
    const by = (where: string) => uses.filter((u) => u.where === where).map((u) => `${u.host}:${u.kind}`);
    expect(by('file /etc/peer of host web, line 1')).to.deep.equal(['db:file']);
    expect(by('file /etc/peer of host web, line 2')).to.deep.equal([]); // 110.1.0.11, 10.1.0.115, 10.1.0.11.5
    expect(by('file /bin/blob of host web, line 1')).to.deep.equal(['web:file']);
    expect(by('environment variable PEER of host web')).to.deep.equal(['db:env']);
    expect(by('command of host db, line 1')).to.deep.equal(['web:command']);
    expect(by('answers of objective where')).to.deep.equal(['db:objective']);
    expect(by('flag of objective flag')).to.deep.equal(['web:objective']);
    expect(by('text of objective where')).to.deep.equal(['web:objective', 'db:objective']);
    expect(uses.find((u) => u.kind === 'file' && u.host === 'db')?.in).to.deep.equal({
      host: 'web',
      file: '/etc/peer',
    });
    expect(uses.some((u) => u.where.includes('/etc/motd'))).to.equal(false);
  });

  it('binds every planned address to the engine’s in one pass (a swap stays a swap), keeping hashes', () => {
    // The engine gave web what db had planned and db what web had planned.
    const bound = bindAddresses(plan(), { web: { lan: '10.1.0.11' }, db: { lan: '10.1.0.10' } });
    const [web, db] = bound.hosts;
    expect(web!.networks[0]!.address).to.equal('10.1.0.11');
    expect(db!.networks[0]!.address).to.equal('10.1.0.10');
    expect(web!.env).to.deep.equal({ PEER: '10.1.0.10' });
    expect(web!.files[0]!.content).to.equal('peer=10.1.0.10\nnot=110.1.0.11 10.1.0.115 10.1.0.11.5\n');
    expect(Buffer.from(web!.files[1]!.content, 'base64').toString('latin1')).to.equal('\x00ip 10.1.0.11\x00');
    expect(db!.command).to.deep.equal(['nc', '10.1.0.11', '80']);
    const [where, flag] = bound.objectives;
    expect(where!.question!.answers).to.deep.equal(['10.1.0.10', '10.1.0.10:5432']);
    expect(where!.description).to.deep.equal({ en: 'Not 10.1.0.11.', ja: '10.1.0.11 ではない。' });
    expect(where!.hints[0]!.text).to.equal('try 10.1.0.10');
    expect(flag!.flag).to.deep.equal({ exact: 'FLAG{10.1.0.11}' });
    expect(bound.hash).to.equal('plan-hash');
    expect(web!.hash).to.equal('h-web');
  });

  it('leaves the plan as it is when nothing changed, and hosts the engine did not report keep theirs', () => {
    const p = plan();
    expect(bindAddresses(p, {})).to.equal(p);
    expect(bindAddresses(p, { web: { lan: '10.1.0.10' } })).to.equal(p);
    const partly = bindAddresses(p, { db: { lan: '10.244.0.7' } });
    expect(partly.hosts.map((h) => h.networks[0]!.address)).to.deep.equal(['10.1.0.10', '10.244.0.7']);
    expect(partly.objectives[0]!.question!.answers).to.deep.equal(['10.244.0.7', '10.244.0.7:5432']);
    expect(p.objectives[0]!.question!.answers).to.deep.equal(['10.1.0.11', '10.1.0.11:5432']); // not mutated
  });
});
