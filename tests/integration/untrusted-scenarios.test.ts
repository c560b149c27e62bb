/**
 * Scenario content from staff users is untrusted (issue 10, H2 and H3): YAML alias bombs, files
 * that are huge but under the size limit, templates that take long to analyse and flag regexes
 * that backtrack catastrophically must be refused or answered with the server staying responsive
 * (`/healthz` p99 ≤ 250 ms while they are sent), with a message naming the cap and the line.
 * Also the upload edge cases of the lower list: `a` and `a/b`, the 413 message, staging
 * folders left by a crash.
 */
import { expect } from 'chai';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import type { Principal } from '../../orchestrator/src/api/api-registry.ts';
import { BODY_LIMIT_BYTES, createApp, UPLOAD_LIMIT_BYTES } from '../../orchestrator/src/api/create-app.ts';
import type { Diagnostic } from '../../orchestrator/src/compiler/diagnostic.ts';
import { YAML_LIMITS } from '../../orchestrator/src/compiler/load-yaml.ts';
import { planExercise } from '../../orchestrator/src/compiler/plan-exercise.ts';
import { loadConfig } from '../../orchestrator/src/config/load-config.ts';
import { startPlatform } from '../../orchestrator/src/main.ts';
import { ScenarioCatalogue } from '../../orchestrator/src/scenarios/scenario-catalogue.ts';
import { ScenarioCompiler } from '../../orchestrator/src/scenarios/scenario-compiler.ts';
import { compileScenarioFile } from '../../orchestrator/src/scenarios/scenario-folder.ts';
import { ScenarioLibrary } from '../../orchestrator/src/scenarios/scenario-library.ts';
import { openDatabase, type OpenedDatabase } from '../../orchestrator/src/store/database.ts';
import { ScenarioUploads } from '../../orchestrator/src/scenarios/scenario-uploads.ts';
import { startScoringTestServer } from './fixtures/scoring-app.ts';
import { REPO } from './helpers.ts';
import { checkedFetch } from '../response-check.ts';

const HEALTH_P99_MS = 250;

/** Seven template files of ~1 MB in a valid scenario (a 7 MB body, under the upload limit). */
function sevenTemplates(template: string): Record<string, string> {
  const example = path.join(REPO, 'tests/fixtures/valid/format-example');
  const files: Record<string, string> = {
    'scenario.yaml': readFileSync(path.join(example, 'scenario.yaml'), 'utf8').replace(
      '      - { path: /srv/app/config.ini, source: files/web-config.ini.hbs }',
      Array.from(
        { length: 7 },
        (_, i) => `      - { path: /srv/app/c${i}.ini, source: files/t${i}.hbs }`,
      ).join('\n'),
    ),
  };
  for (let i = 0; i < 7; i++) files[`files/t${i}.hbs`] = template;
  expect(JSON.stringify(files).length).to.be.below(UPLOAD_LIMIT_BYTES);
  return files;
}

/** Polls `/healthz` one request at a time until stopped; returns every latency in ms. */
function pollHealth(base: string): { stop(): Promise<number[]> } {
  const latencies: number[] = [];
  const state = { running: true };
  const loop = (async () => {
    while (state.running) {
      const started = performance.now();
      const res = await checkedFetch(`${base}/healthz`);
      await res.arrayBuffer();
      latencies.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    async stop() {
      state.running = false;
      await loop;
      return latencies;
    },
  };
}

function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? Infinity;
}

/** A small valid scenario (the invalid fixtures' base) with the given flag line. */
function scenarioWithFlag(flag: string, version = '1.0.0'): string {
  return `apiVersion: cyrop/v1
kind: Scenario
metadata:
  id: regex-flag
  version: ${version}
  title: Regex flag
  category: other
  difficulty: beginner
networks:
  - name: lan
hosts:
  - name: box
    image: cyrop/attacker:1
    networks: [lan]
    console: true
objectives:
  - id: f1
    kind: flag
    title: F
    points: 10
    ${flag}
exercise:
  submissionRateLimit: { wrongPerMinute: 60 }
`;
}

describe('untrusted scenario content (real HTTP server)', function () {
  this.timeout(120_000);
  let dir: string;
  let uploadsDir: string;
  let server: Server;
  let base: string;
  let compiler: ScenarioCompiler;
  let database: OpenedDatabase;
  const instructor: Principal = { kind: 'user', userId: 'u1', orgId: 'org-1', role: 'instructor', name: 'T' };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-untrusted-'));
    uploadsDir = path.join(dir, 'scenarios');
    mkdirSync(path.join(dir, 'empty-catalogue'));
    compiler = new ScenarioCompiler(); // the production bounds
    database = await openDatabase(dir);
    await database.db
      .insertInto('organisations')
      .values({ id: 'org-1', name: 'Org 1', kind: 'training-company', created_at: 0 })
      .execute();
    const app = createApp({
      scenarios: new ScenarioLibrary({
        db: database.db,
        catalogue: new ScenarioCatalogue(path.join(dir, 'empty-catalogue'), undefined, uploadsDir).load(),
        uploads: new ScenarioUploads(uploadsDir, compiler),
      }),
      logger: pino({ level: 'silent' }),
      authenticate: (req) => Promise.resolve(req.headers['x-role'] === 'instructor' ? instructor : undefined),
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    server.close();
    await compiler.close();
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = async (url: string, body: unknown) => {
    const res = await checkedFetch(base + url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-role': 'instructor' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return {
      status: res.status,
      body: (await res.json()) as {
        valid?: boolean;
        diagnostics?: Diagnostic[];
        error?: { code: string; message: string; details?: unknown };
      },
    };
  };

  it('refuses alias bombs and huge files naming the cap and the line, /healthz staying responsive', async () => {
    const anchorsAndAliases = (n: number) =>
      `a: [${Array.from({ length: n }, (_, i) => `&a${i} x`).join(', ')}]\nb: [${Array.from({ length: n }, (_, i) => `*a${i}`).join(', ')}]\n`;
    const bomb62k = anchorsAndAliases(3_600); // the 62 KB shape: 12 s of a frozen platform
    const bomb800k = anchorsAndAliases(42_000); // the 0.8 MB body: minutes
    const aliasFlood = `a: &a x\nb: [${Array(150_000).fill('*a').join(',')}]\n`;
    const hugeValues = `apiVersion: cyrop/v1\nkind: Scenario\nx: [${Array(340_000).fill('1').join(',')}]\n`;
    expect(bomb62k.length).to.be.within(60_000, 64_000);
    expect(bomb800k.length).to.be.within(780_000, 1024 * 1024);
    expect(hugeValues.length).to.be.within(600_000, 1024 * 1024);
    // Seven template files of 1 MB of mustaches each: 300,000 expressions, seconds of analysis.
    const heavyTemplate = sevenTemplates('{{params.victim_user}}\n'.repeat(43_000));

    const health = pollHealth(base);
    const results = [];
    for (const text of [bomb62k, bomb800k, aliasFlood, hugeValues])
      results.push(await post('/api/scenarios/validate', { files: { 'scenario.yaml': text } }));
    const slow = await post('/api/scenarios/validate', { files: heavyTemplate });
    const latencies = await health.stop();

    const [small, large, flood, huge] = results.map((r) => {
      expect(r.status).to.equal(200);
      expect(r.body.valid).to.equal(false);
      expect(r.body.diagnostics).to.have.length(1);
      return r.body.diagnostics![0]!;
    });
    expect(small).to.include({ rule: 'limit.yaml-anchors', file: 'scenario.yaml', line: 1 });
    expect(small!.message).to.contain(`at most ${YAML_LIMITS.maxAnchors} anchors`);
    expect(large).to.include({ rule: 'limit.yaml-anchors', line: 1, column: small!.column });
    expect(flood).to.include({ rule: 'limit.yaml-aliases', line: 2 });
    expect(flood!.message).to.contain(`at most ${YAML_LIMITS.maxAliases} aliases`);
    expect(huge).to.include({ rule: 'limit.yaml-nodes', line: 3 });
    expect(huge!.message).to.contain(`at most ${YAML_LIMITS.maxNodes} nodes`);
    expect(slow.status).to.equal(200);
    expect(slow.body.valid).to.equal(false);
    expect(slow.body.diagnostics).to.have.length(1);
    expect(slow.body.diagnostics![0]).to.include({
      rule: 'limit.template-expressions',
      pointer: '/hosts/1/files/1/source', // the first template file: 43,000 > 2,000
    });

    console.log(
      `      /healthz during the attack: ${latencies.length} requests, p99 ${p99(latencies).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`,
    );
    expect(latencies.length).to.be.greaterThan(20);
    expect(p99(latencies)).to.be.at.most(HEALTH_P99_MS);
    // And the server carries on: a valid scenario still validates.
    const fine = await post('/api/scenarios/validate', {
      files: { 'scenario.yaml': scenarioWithFlag('flag: { regex: "^CYROP\\\\{[a-z]+\\\\}$" }') },
    });
    expect(fine.body.valid).to.equal(true);
  });

  it('refuses a compilation past its deadline with 422 naming the limit, never a 500', async () => {
    // A server whose deadline (50 ms) is shorter than this valid upload needs (~1 s: 7 MB of templates).
    const strict = new ScenarioCompiler({ timeoutMs: 50 });
    const app = createApp({
      scenarios: new ScenarioLibrary({
        db: database.db,
        catalogue: new ScenarioCatalogue(path.join(dir, 'empty-catalogue')).load(),
        uploads: new ScenarioUploads(path.join(dir, 'strict'), strict),
      }),
      logger: pino({ level: 'silent' }),
      authenticate: () => Promise.resolve(instructor),
    });
    const other = createServer(app);
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
      const res = await checkedFetch(`${url}/api/scenarios/validate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          files: sevenTemplates(`${'x'.repeat(3_600)}{{params.victim_user}}\n`.repeat(280)),
        }),
      });
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(res.status).to.equal(422);
      expect(body.error.code).to.equal('SCENARIO_TOO_COSTLY');
      expect(body.error.message).to.contain('took longer than 0.05 s, the limit for one compilation');
      expect((await checkedFetch(`${url}/healthz`)).status).to.equal(200);
    } finally {
      other.closeAllConnections();
      other.close();
      await strict.close();
    }
  });

  it('answers a catastrophic-backtracking flag regex promptly with the right verdicts', async () => {
    const refused = await post('/api/scenarios', {
      files: { 'scenario.yaml': scenarioWithFlag('flag: { regex: "^(a+)\\\\1$" }') },
    });
    expect(refused.status).to.equal(422);
    expect(refused.body.error?.details).to.deep.include.members([
      {
        severity: 'error',
        rule: 'flag.regex',
        file: 'scenario.yaml',
        line: 21,
        column: 20,
        pointer: '/objectives/0/flag/regex',
        message:
          'flag regex does not compile: a backreference (\\1 or \\k<name>) is not supported: scenario regexes are RE2 syntax, matched in linear time, which has no constructs that need backtracking',
      },
    ]);

    const stored = await post('/api/scenarios', {
      files: { 'scenario.yaml': scenarioWithFlag('flag: { regex: "^(a+)+$" }') },
    });
    expect(stored.status).to.equal(201);
    const compiled = compileScenarioFile(
      path.join(uploadsDir, 'regex-flag', '1.0.0', 'scenario.yaml'),
    ).compiled;
    if (!compiled) throw new Error('the stored version does not compile');
    const plans = planExercise(compiled, { exerciseId: 'ex-regex', teams: 1, secret: 'regex-test-secret' });
    const scoringDir = path.join(dir, 'scoring');
    mkdirSync(scoringDir);
    const scoring = await startScoringTestServer({
      dataDir: scoringDir,
      plans: (id) => Promise.resolve(id === 'ex-regex' ? plans : []),
    });
    try {
      const call = async (principal: Principal, url: string, body: unknown) => {
        const res = await checkedFetch(scoring.url + url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-test-principal': JSON.stringify(principal) },
          body: JSON.stringify(body),
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      expect(
        (await call(instructor, '/api/exercises/ex-regex/scoring/status', { action: 'start' })).status,
      ).to.equal(200);
      const teamId = plans[0]!.team.id;
      const participant: Principal = { kind: 'participant', exerciseId: 'ex-regex', teamId, name: teamId };
      const health = pollHealth(scoring.url);
      const verdicts: Record<string, unknown> = {};
      for (const n of [32, 64, 1000]) {
        const res = await call(participant, '/api/play/submissions', {
          objective: 'f1',
          answer: `${'a'.repeat(n)}!`,
        });
        verdicts[`${n}!`] = res.body['outcome'];
      }
      verdicts['1000'] = (
        await call(participant, '/api/play/submissions', { objective: 'f1', answer: 'a'.repeat(1000) })
      ).body['outcome'];
      const latencies = await health.stop();
      expect(verdicts).to.deep.equal({ '32!': 'wrong', '64!': 'wrong', '1000!': 'wrong', '1000': 'correct' });
      console.log(
        `      /healthz during the submissions: ${latencies.length} requests, p99 ${p99(latencies).toFixed(1)} ms`,
      );
      expect(p99(latencies)).to.be.at.most(HEALTH_P99_MS);
    } finally {
      await scoring.close();
    }
  });

  it("refuses an upload holding both 'a' and 'a/b' with 400 naming them (not 500)", async () => {
    const res = await post('/api/scenarios/validate', {
      files: { 'scenario.yaml': scenarioWithFlag('flag: CYROP{x}'), files: 'x', 'files/b.txt': 'y' },
    });
    expect(res.status).to.equal(400);
    expect(res.body.error?.code).to.equal('BAD_REQUEST');
    expect(res.body.error?.message).to.contain(
      "'files' is sent both as a file and as the folder of 'files/b.txt'",
    );
  });

  it('says which limit a too-large body passed: the upload limit on scenario routes, the general one elsewhere', async () => {
    const big = JSON.stringify({ files: { 'scenario.yaml': 'x'.repeat(UPLOAD_LIMIT_BYTES + 10) } });
    const upload = await post('/api/scenarios/validate', big);
    expect(upload.status).to.equal(413);
    expect(upload.body.error?.message).to.contain(`larger than ${UPLOAD_LIMIT_BYTES} bytes`);
    const other = await post('/api/anything-else', JSON.stringify({ x: 'x'.repeat(BODY_LIMIT_BYTES + 10) }));
    expect(other.status).to.equal(413);
    expect(other.body.error?.message).to.contain(`larger than ${BODY_LIMIT_BYTES} bytes`);
  });
});

describe('staging folders of uploads interrupted by a crash', () => {
  it('are removed when the platform starts; stored versions stay', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-staging-'));
    try {
      const uploads = path.join(dataDir, 'scenarios');
      const leftover = path.join(uploads, '.staging-0123456789ab');
      mkdirSync(path.join(leftover, 'files'), { recursive: true });
      writeFileSync(path.join(leftover, 'scenario.yaml'), 'half written');
      const version = path.join(uploads, 'web-sqli-basics', '1.0.0');
      cpSync(path.join(REPO, 'tests/fixtures/valid/format-example'), version, { recursive: true });
      const config = loadConfig(
        {},
        { port: 0, dataDir, scenariosDir: path.join(REPO, 'tests/fixtures/valid'), engine: 'none' },
      );
      const platform = await startPlatform(config, pino({ level: 'silent' }));
      await platform.close();
      expect(existsSync(leftover)).to.equal(false);
      expect(existsSync(path.join(version, 'scenario.yaml'))).to.equal(true);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
