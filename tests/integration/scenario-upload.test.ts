import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { Principal } from '../../orchestrator/src/api/api-registry.ts';
import { createApp } from '../../orchestrator/src/api/create-app.ts';
import { ScenarioCatalogue } from '../../orchestrator/src/scenarios/scenario-catalogue.ts';
import { ScenarioUploads } from '../../orchestrator/src/scenarios/scenario-uploads.ts';
import { REPO } from './helpers.ts';

const EXAMPLE = path.join(REPO, 'tests/fixtures/valid/format-example');
const files = (version = '1.0.0', extra = '') => ({
  'scenario.yaml':
    readFileSync(path.join(EXAMPLE, 'scenario.yaml'), 'utf8').replace(
      'version: 1.0.0',
      `version: ${version}`,
    ) + extra,
  'files/web-config.ini.hbs': readFileSync(path.join(EXAMPLE, 'files/web-config.ini.hbs'), 'utf8'),
});

describe('scenario upload, validation and versions (API)', () => {
  let dir: string;
  let server: Server;
  let base: string;
  const stored: string[] = [];
  const instructor: Principal = {
    kind: 'user',
    userId: 'u1',
    orgId: 'o1',
    role: 'instructor',
    name: 'Teacher',
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-upload-'));
    const uploads = path.join(dir, 'scenarios');
    mkdirSync(path.join(dir, 'empty-catalogue'));
    const catalogue = new ScenarioCatalogue(path.join(dir, 'empty-catalogue'), undefined, uploads);
    const app = createApp({
      catalogue: catalogue.load(),
      logger: pino({ level: 'silent' }),
      authenticate: (req) => Promise.resolve(req.headers['x-role'] === 'instructor' ? instructor : undefined),
      uploads: {
        uploads: new ScenarioUploads(uploads),
        onStored: (_p, id, version) => Promise.resolve(void stored.push(`${id}@${version}`)),
      },
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = async (url: string, body: unknown, role = 'instructor') => {
    const res = await fetch(base + url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-role': role },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('validates without storing, naming file, line and field', async () => {
    const r = await post('/api/scenarios/validate', {
      files: { ...files(), 'scenario.yaml': files()['scenario.yaml'].replace('points: 50', 'points: fifty') },
    });
    expect(r.status).to.equal(200);
    expect(r.body.valid).to.equal(false);
    expect(r.body.diagnostics).to.deep.include.members([
      {
        severity: 'error',
        rule: 'schema.type',
        file: 'scenario.yaml',
        line: 54,
        column: 13,
        pointer: '/objectives/0/points',
        message: 'must be an integer (got "fifty")',
      },
    ]);
    expect(
      ((await fetch(`${base}/api/scenarios`).then((x) => x.json())) as { scenarios: unknown[] }).scenarios,
    ).to.deep.equal([]);
  });

  it('stores a valid version once; the same files again change nothing; other files need a new version', async () => {
    const first = await post('/api/scenarios', { files: files() });
    expect(first.status).to.equal(201);
    expect(first.body).to.include({ id: 'web-sqli-basics', version: '1.0.0' });
    expect((await post('/api/scenarios', { files: files() })).status).to.equal(200);
    const changed = await post('/api/scenarios', { files: files('1.0.0', '# a comment\n') });
    expect(changed.status).to.equal(409);
    expect((changed.body.error as { message: string }).message).to.contain('raise metadata.version');
    expect((await post('/api/scenarios', { files: files('1.1.0', '# a comment\n') })).status).to.equal(201);
    expect(stored).to.deep.equal(['web-sqli-basics@1.0.0', 'web-sqli-basics@1.1.0']);
    const versions = (await fetch(`${base}/api/scenarios/web-sqli-basics/versions`).then((x) =>
      x.json(),
    )) as { versions: { version: string }[] };
    expect(versions.versions.map((v) => v.version)).to.deep.equal(['1.1.0', '1.0.0']);
    const list = (await fetch(`${base}/api/scenarios`).then((x) => x.json())) as {
      scenarios: { version: string }[];
    };
    expect(list.scenarios.map((s) => s.version)).to.deep.equal(['1.1.0']);
  });

  it('refuses invalid scenarios (422 with diagnostics), unsafe file names, and callers who are not staff', async () => {
    const invalid = await post('/api/scenarios', { files: { 'scenario.yaml': 'apiVersion: cyrop/v1\n' } });
    expect(invalid.status).to.equal(422);
    expect((invalid.body.error as { code: string; details: unknown[] }).code).to.equal('SCENARIO_INVALID');
    expect((invalid.body.error as { details: unknown[] }).details.length).to.be.greaterThan(0);
    for (const name of ['../escape.txt', '/etc/passwd', 'files/../../x', 'a\\b']) {
      const r = await post('/api/scenarios', { files: { ...files('2.0.0'), [name]: 'x' } });
      expect(r.status, name).to.equal(400);
    }
    expect((await post('/api/scenarios', { files: files('3.0.0') }, 'nobody')).status).to.equal(401);
  });
});
