import { expect } from 'chai';
import { findCycles } from './check-scenario.ts';
import { compileScenario, SOURCE_LIMITS, type SourceFileReader } from './compile-scenario.ts';
import { planExercise } from './plan-exercise.ts';

const SCENARIO = `apiVersion: cyrop/v1
kind: Scenario
metadata: { id: unit, version: 1.0.0, title: Unit, category: other, difficulty: beginner }
parameters:
  secret: { kind: flag }
networks:
  - name: lan
  - { name: core, subnet: 10.50.0.0/24 }
hosts:
  - name: console
    image: cyrop/attacker:1
    networks: [lan]
    console: { user: trainee }
  - name: server
    image: cyrop/target:1
    networks: [lan, { name: core, address: 10.50.0.20 }]
    files:
      - { path: /etc/motd, source: files/motd.hbs }
      - { path: /srv/blob.bin, source: files/blob.bin, mode: "0600" }
  - name: db
    image: cyrop/target:1
    networks: [core]
objectives:
  - { id: flag, kind: flag, title: Flag, points: 100, flag: "{{params.secret}}" }
`;

const files = (motd: string): SourceFileReader => {
  const map = new Map([
    ['files/motd.hbs', Buffer.from(motd)],
    ['files/blob.bin', Buffer.from([0, 255, 1])],
  ]);
  return (p) => {
    const bytes = map.get(p);
    return bytes ? { ok: true, bytes } : { ok: false, problem: 'no such file' };
  };
};

describe('compileScenario and planExercise', () => {
  const compile = (text = SCENARIO, motd = 'db at {{hosts.db.address.core}} for {{team.name}}') =>
    compileScenario(text, { file: 'unit.yaml', readSource: files(motd) });

  it('compiles, and hashes the scenario together with its source files', () => {
    const a = compile();
    expect(a.diagnostics).to.deep.equal([]);
    expect(a.competencyCheck).to.equal('none');
    expect(a.compiled?.sourceHash).to.match(/^[0-9a-f]{64}$/);
    expect(compile().compiled?.sourceHash).to.equal(a.compiled?.sourceHash);
    expect(compile(SCENARIO, 'changed {{team.id}}').compiled?.sourceHash).to.not.equal(
      a.compiled?.sourceHash,
    );
  });

  it('marks checks that run on a host the trainee controls as forgeable (a warning and in the plan)', () => {
    const text = SCENARIO.replace(
      '    networks: [core]\n',
      '    networks: [core]\n  - { name: admin, image: cyrop/target:1, networks: [lan], traineeControlled: true }\n',
    ).concat(
      [
        '  - { id: c1, kind: check, title: C1, points: 1, check: { host: console, run: [x] } }',
        '  - { id: c2, kind: check, title: C2, points: 1, check: { host: console, from: server, run: [x] } }',
        '  - { id: c3, kind: check, title: C3, points: 1, check: { host: db, run: [x] } }',
        '  - { id: c4, kind: check, title: C4, points: 1, check: { host: server, from: admin, run: [x] } }',
        '',
      ].join('\n'),
    );
    const result = compile(text);
    const warnings = result.diagnostics.filter((d) => d.rule === 'check.forgeable');
    expect(warnings.map((d) => [d.pointer, d.severity, d.line])).to.deep.equal([
      ['/objectives/1/check/host', 'warning', 26],
      ['/objectives/4/check/from', 'warning', 29],
    ]);
    const [plan] = planExercise(result.compiled!, { exerciseId: 'ex', teams: 1, secret: 'secret-abc' });
    const checks = plan!.objectives
      .filter((o) => o.check)
      .map((o) => [o.id, o.check!.forgeable, o.check!.from]);
    expect(checks).to.deep.equal([
      ['c1', true, undefined],
      ['c2', false, 'server'],
      ['c3', false, undefined],
      ['c4', true, 'admin'],
    ]);
  });

  it('assigns addresses in host order, honouring fixed ones, and renders them into templates', () => {
    const [plan] = planExercise(compile().compiled!, { exerciseId: 'ex', teams: 1, secret: 'secret-abc' });
    const address = (host: string, net: string) =>
      plan!.hosts.find((h) => h.name === host)!.networks.find((n) => n.name === net)!.address;
    expect(address('console', 'lan')).to.equal('10.200.0.10');
    expect(address('server', 'lan')).to.equal('10.200.0.11');
    expect(address('server', 'core')).to.equal('10.50.0.20');
    expect(address('db', 'core')).to.equal('10.50.0.10');
    const server = plan!.hosts.find((h) => h.name === 'server')!;
    expect(server.files[0]).to.deep.equal({
      path: '/etc/motd',
      encoding: 'utf8',
      content: 'db at 10.50.0.10 for Team 1',
      mode: 0o644,
    });
    expect(server.files[1]).to.deep.equal({
      path: '/srv/blob.bin',
      encoding: 'base64',
      content: 'AP8B',
      mode: 0o600,
    });
    expect(plan!.hosts[0]!.console).to.deep.equal({
      user: 'trainee',
      shell: '/bin/bash',
      workdir: '/home/trainee',
    });
  });

  it('is byte-identical for the same secret and team, whatever the number of teams', () => {
    const compiled = compile().compiled!;
    const three = planExercise(compiled, { exerciseId: 'ex', teams: 3, secret: 'secret-abc' });
    const five = planExercise(compiled, { exerciseId: 'ex', teams: 5, secret: 'secret-abc' });
    expect(JSON.stringify(five[2])).to.equal(JSON.stringify(three[2]));
    expect(three[0]!.hash).to.not.equal(three[1]!.hash);
    // a host's hash changes with what the host is, not with other hosts
    const db = (p: (typeof three)[number]) => p.hosts.find((h) => h.name === 'db')!.hash;
    expect(db(three[0]!)).to.equal(db(three[1]!)); // db is only on the fixed network: same for every team
  });

  it('refuses bad exercise ids, secrets and team counts with clear errors', () => {
    const compiled = compile().compiled!;
    expect(() => planExercise(compiled, { exerciseId: 'Bad Id', teams: 1, secret: 'secret-abc' })).to.throw(
      /exercise id 'Bad Id'/,
    );
    expect(() => planExercise(compiled, { exerciseId: 'ex', teams: 0, secret: 'secret-abc' })).to.throw(
      /teams must be a whole number from 1 to 1000/,
    );
    expect(() => planExercise(compiled, { exerciseId: 'ex', teams: 1001, secret: 'secret-abc' })).to.throw(
      /teams must be a whole number from 1 to 1000 \(got 1001\)/,
    );
    expect(() =>
      planExercise(compiled, {
        exerciseId: 'ex',
        teams: [
          { id: 'a', name: 'A' },
          { id: 'a', name: 'B' },
        ],
        secret: 'secret-abc',
      }),
    ).to.throw(/team id 'a' is given twice/);
  });

  it('reports a missing source file at the field that names it', () => {
    const result = compileScenario(SCENARIO, {
      file: 'unit.yaml',
      readSource: () => ({ ok: false, problem: 'no such file in the scenario folder' }),
    });
    expect(result.compiled).to.equal(undefined);
    expect(result.diagnostics.map((d) => `${d.line} ${d.pointer} ${d.message}`)).to.deep.equal([
      "18 /hosts/1/files/0/source files[].source 'files/motd.hbs': no such file in the scenario folder",
      "19 /hosts/1/files/1/source files[].source 'files/blob.bin': no such file in the scenario folder",
    ]);
  });

  it("caps each host's writable storage: 1Gi by default, at most the operator's maximum", () => {
    const withDisk = SCENARIO.replace(
      '    console: { user: trainee }\n',
      '    console: { user: trainee }\n    resources: { disk: 768Mi }\n',
    );
    const limits = { diskMaxBytes: 512 * 1024 ** 2 };
    const refused = compileScenario(withDisk, { file: 'unit.yaml', readSource: files('x'), limits });
    expect(refused.compiled).to.equal(undefined);
    expect(refused.diagnostics).to.have.length(1);
    expect(refused.diagnostics[0]).to.include({
      rule: 'limit.disk',
      file: 'unit.yaml',
      line: 14,
      pointer: '/hosts/0/resources/disk',
    });
    expect(refused.diagnostics[0]?.message).to.include('512Mi');

    const compiled = compileScenario(withDisk, { file: 'unit.yaml', readSource: files('x') }).compiled!;
    const [plan] = planExercise(compiled, { exerciseId: 'ex', teams: 1, secret: 'disk-secret-1' });
    expect(plan!.hosts.map((h) => h.resources.diskBytes)).to.deep.equal([
      768 * 1024 ** 2,
      1024 ** 3,
      1024 ** 3,
    ]);
    const [small] = planExercise(compiled, {
      exerciseId: 'ex',
      teams: 1,
      secret: 'disk-secret-1',
      ...limits,
    });
    expect(small!.hosts[1]!.resources.diskBytes, 'the default, lowered to the maximum').to.equal(
      512 * 1024 ** 2,
    );
  });

  it('plans web services with their titles, default paths, and refuses a bad or duplicate port where it is', () => {
    const withWeb = SCENARIO.replace(
      '    networks: [lan, { name: core, address: 10.50.0.20 }]\n',
      '    networks: [lan, { name: core, address: 10.50.0.20 }]\n' +
        '    web:\n' +
        '      - { port: 8080, title: { en: Shop, ja: ショップ }, path: /login }\n' +
        '      - { port: 9000 }\n',
    );
    const compiled = compileScenario(withWeb, { file: 'unit.yaml', readSource: files('x') });
    expect(compiled.diagnostics).to.deep.equal([]);
    const [plan] = planExercise(compiled.compiled!, { exerciseId: 'ex', teams: 1, secret: 'web-secret-1' });
    expect(plan!.hosts[1]!.web).to.deep.equal([
      { port: 8080, title: { en: 'Shop', ja: 'ショップ' }, path: '/login' },
      { port: 9000, title: 'server:9000', path: '/' },
    ]);
    expect(plan!.hosts[0]!.web, 'a host without web services has none').to.equal(undefined);
    // web services are not engine configuration: the host's hash is the one it has without them
    const [bare] = planExercise(compile(SCENARIO, 'x').compiled!, {
      exerciseId: 'ex',
      teams: 1,
      secret: 'web-secret-1',
    });
    expect(plan!.hosts[1]!.hash).to.equal(bare!.hosts[1]!.hash);

    const templated = compileScenario(withWeb.replace('en: Shop,', 'en: "Shop of {{team.name}}",'), {
      file: 'unit.yaml',
      readSource: files('x'),
    });
    expect(
      templated.diagnostics.map((d) => `${d.severity} ${d.pointer}`),
      'a title is the same for every team: {{ … }} would be shown as it is',
    ).to.deep.equal(['warning /hosts/1/web/0/title/en']);

    const duplicate = compileScenario(withWeb.replace('{ port: 9000 }', '{ port: 8080 }'), {
      file: 'unit.yaml',
      readSource: files('x'),
    });
    expect(duplicate.diagnostics.map((d) => `${d.line} ${d.pointer} ${d.rule}: ${d.message}`)).to.deep.equal([
      "19 /hosts/1/web/1/port duplicate.web-port: host 'server' declares web service port 8080 twice (first at line 18)",
    ]);
    const badPort = compileScenario(withWeb.replace('{ port: 9000 }', '{ port: 70000 }'), {
      file: 'unit.yaml',
      readSource: files('x'),
    });
    expect(badPort.compiled).to.equal(undefined);
    expect(badPort.diagnostics.map((d) => `${d.line} ${d.pointer}`)).to.deep.equal([
      '19 /hosts/1/web/1/port',
    ]);
  });

  it('finds every requires cycle once', () => {
    expect(
      findCycles([
        { id: 'a', requires: ['b'] },
        { id: 'b', requires: ['c'] },
        { id: 'c', requires: ['a'] },
        { id: 'd', requires: ['d'] },
        { id: 'e', requires: ['a'] },
      ]),
    ).to.deep.equal([['a', 'b', 'c'], ['d']]);
    expect(
      findCycles([
        { id: 'a', requires: [] },
        { id: 'b', requires: ['a'] },
      ]),
    ).to.deep.equal([]);
  });
});

describe('texts that are not templates', () => {
  it('warns when a title holds {{ … }}, which would be shown literally', () => {
    const text = SCENARIO.replace('title: Flag,', 'title: "Flag of {{team.name}}",');
    const result = compileScenario(text, { file: 'unit.yaml', readSource: files('x') });
    expect(result.compiled).to.not.equal(undefined);
    expect(result.diagnostics.map((d) => `${d.severity} ${d.rule} ${d.pointer} ${d.line}`)).to.deep.equal([
      'warning template.not-templated /objectives/0/title 24',
    ]);
  });
});

describe('template expressions cap', () => {
  it('refuses more template expressions than the cap before analysing any, at the file that passes it', () => {
    const cap = SOURCE_LIMITS.templateExpressions;
    const at = compileScenario(SCENARIO, {
      file: 'unit.yaml',
      readSource: files('{{params.secret}}\n'.repeat(cap - 10)),
    });
    expect(at.diagnostics.filter((d) => d.rule === 'limit.template-expressions')).to.deep.equal([]);
    const over = compileScenario(SCENARIO, {
      file: 'unit.yaml',
      readSource: files('{{params.secret}}\n'.repeat(cap + 1)),
    });
    expect(over.compiled).to.equal(undefined);
    expect(over.diagnostics.map((d) => `${d.rule} ${d.pointer} ${d.line}`)).to.deep.equal([
      'limit.template-expressions /hosts/1/files/0/source 18',
    ]);
    expect(over.diagnostics[0]?.message).to.contain(`at most ${cap} template expressions`);
  });
});
