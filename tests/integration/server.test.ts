import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../orchestrator/src/config/load-config.ts';
import { startPlatform, type RunningPlatform } from '../../orchestrator/src/main.ts';
import { REPO } from './helpers.ts';
import { checkedFetch } from '../response-check.ts';

describe('platform server', () => {
  let platform: RunningPlatform;
  let dataDir: string;
  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-server-'));
    const config = loadConfig(
      {},
      { port: 0, dataDir, scenariosDir: path.join(REPO, 'tests/fixtures/valid'), engine: 'none' },
    );
    platform = await startPlatform(config, pino({ level: 'silent' }));
  });
  after(async () => {
    await platform.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('listens on loopback and answers health checks', async () => {
    expect(platform.url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const res = await checkedFetch(new URL('/healthz', platform.url));
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ status: 'ok' });
  });

  it('serves anonymous callers catalogue cards, without secrets', async () => {
    const res = await checkedFetch(new URL('/api/scenarios', platform.url));
    const body = (await res.json()) as { scenarios: { id: string; objectives: number; points: number }[] };
    expect(body.scenarios.map((s) => s.id)).to.deep.equal(['web-sqli-basics']);
    expect(body.scenarios[0]).to.include({ objectives: 3 });
    expect(body.scenarios[0]).not.to.have.any.keys('hosts', 'diagnostics', 'file');
    const text = JSON.stringify(body);
    expect(text).to.not.contain('params.web_flag');
    expect(text).to.not.contain('8080"]'); // question answers are not published
  });

  it('answers unknown things with a JSON error and the right status, never a stack trace', async () => {
    const res = await checkedFetch(new URL('/api/scenarios/nope', platform.url));
    expect(res.status).to.equal(404);
    expect(await res.json()).to.deep.equal({
      error: { code: 'NOT_FOUND', message: "no scenario 'nope' in the catalogue" },
    });
    const route = await checkedFetch(new URL('/api/nothing-here', platform.url));
    expect(route.status).to.equal(404);
    expect(((await route.json()) as { error: { code: string } }).error.code).to.equal('NOT_FOUND');
  });

  it('serves the catalogue page', async () => {
    const res = await checkedFetch(platform.url);
    expect(res.status).to.equal(200);
    expect(await res.text()).to.contain('<title>CYROP</title>');
  });
});

describe('npm start', () => {
  it('starts from the repository and prints the URL it serves once ready', async () => {
    const child = spawn(
      process.execPath,
      [path.join(REPO, 'orchestrator/bin/cyrop.js'), 'serve', '--port', '0'],
      {
        cwd: REPO,
        env: {
          ...process.env,
          CYROP_LOG_LEVEL: 'silent',
          CYROP_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'cyrop-start-')),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /CYROP is ready: open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (match) resolve(match[1]!);
        });
        child.once('exit', (code) =>
          reject(new Error(`exited with ${String(code)} before printing its URL: ${out}`)),
        );
      });
      const res = await checkedFetch(new URL('/api/scenarios', url));
      const body = (await res.json()) as { scenarios: unknown[]; invalid: unknown[] };
      expect(body.invalid).to.deep.equal([]);
      expect(body.scenarios.length).to.be.at.least(6);
    } finally {
      child.kill('SIGTERM');
    }
  });
});

const METRICS_TOKEN = 'test-metrics-token-0123456789abcdef';

describe('API document and metrics', () => {
  let platform: RunningPlatform;
  before(async () => {
    const config = loadConfig(
      {},
      {
        port: 0,
        dataDir: mkdtempSync(path.join(os.tmpdir(), 'cyrop-api-')),
        scenariosDir: path.join(REPO, 'tests/fixtures/valid'),
        engine: 'none',
        metricsToken: METRICS_TOKEN,
      },
    );
    platform = await startPlatform(config, pino({ level: 'silent' }));
  });
  after(async () => {
    await platform.close();
  });

  it('serves one OpenAPI 3.1 document built from the route schemas', async () => {
    const doc = (await (await checkedFetch(new URL('/api/openapi.json', platform.url))).json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { operationId: string; parameters?: { name: string; in: string }[] }>
      >;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).to.equal('3.1.0');
    expect(doc.paths['/api/scenarios']!.get!.operationId).to.equal('listScenarios');
    expect(doc.paths['/api/scenarios/{id}']!.get!.parameters).to.deep.include({
      name: 'id',
      in: 'path',
      required: true,
      schema: { type: 'string', pattern: '^[a-z0-9-]{1,40}$' },
    });
    expect(doc.components.schemas).to.include.keys('CatalogueEntry', 'Error');
  });

  it('refuses a path parameter its schema does not allow, with a 400 naming it', async () => {
    const res = await checkedFetch(new URL('/api/scenarios/NOT_A_SLUG', platform.url));
    expect(res.status).to.equal(400);
    const body = (await res.json()) as { error: { code: string; details: { pointer: string }[] } };
    expect(body.error.code).to.equal('BAD_REQUEST');
    expect(body.error.details[0]!.pointer).to.equal('/id');
  });

  it('exposes Prometheus metrics to scrapers holding the metrics token, not to anyone', async () => {
    await checkedFetch(new URL('/api/scenarios', platform.url));
    const anonymous = await checkedFetch(new URL('/metrics', platform.url));
    expect(anonymous.status).to.equal(401);
    expect(anonymous.headers.get('www-authenticate')).to.match(/^Bearer/);
    const wrong = await checkedFetch(new URL('/metrics', platform.url), {
      headers: { authorization: 'Bearer not-the-token' },
    });
    expect(wrong.status).to.equal(401);
    const text = await (
      await checkedFetch(new URL('/metrics', platform.url), {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      })
    ).text();
    expect(text).to.match(
      /cyrop_http_requests_total\{method="GET",route="\/api\/scenarios",status="200"\} \d+/,
    );
    expect(text).to.contain('process_cpu_user_seconds_total');
  });
});
