import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { loadConfig } from '../../orchestrator/src/config/load-config.ts';
import { startPlatform, type RunningPlatform } from '../../orchestrator/src/main.ts';
import { openDatabase } from '../../orchestrator/src/store/database.ts';
import { apiClient } from '../api-client.ts';

const REPO = path.resolve(import.meta.dirname, '../..');

/**
 * `CYROP_TIME_ZONE` on the composed platform: the zone the console reads, and the calendar days of
 * the API's periods follow it (the default, Tokyo, would put midnight of 2026-05-01 at 15:00 UTC the
 * day before); a zone the runtime does not know stops `cyrop serve` before it listens.
 */
describe('the platform reporting time zone (CYROP_TIME_ZONE)', function () {
  this.timeout(60_000);
  let dir: string;
  let platform: RunningPlatform;
  let operator: ReturnType<typeof apiClient>;
  let operatorOrg = '';

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-time-zone-'));
    const database = await openDatabase(path.join(dir, 'data'));
    const first = (await new AccountService({ db: database.db }).ensureFirstOperator())!;
    await database.close();
    platform = await startPlatform(
      loadConfig(
        { CYROP_ENGINE: 'none', CYROP_TIME_ZONE: 'UTC' },
        { port: 0, dataDir: path.join(dir, 'data'), scenariosDir: path.join(REPO, 'tests/fixtures/valid') },
      ),
      pino({ level: 'silent' }),
    );
    operator = apiClient(platform.url, { checkResponses: true });
    expect(
      (await operator('POST', '/api/auth/login', { email: first.email, password: first.password })).status,
    ).to.equal(200);
    await operator('POST', '/api/auth/password', {
      currentPassword: first.password,
      newPassword: 'operator secret password 1',
    });
    const me = await operator('GET', '/api/auth/me');
    operatorOrg = (me.body as { principal: { orgId: string } }).principal.orgId;
  });
  after(async () => {
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('tells the console the zone it was started with', async () => {
    const config = await operator('GET', '/api/analytics/config');
    expect(config.status).to.equal(200);
    expect((config.body as { timeZone: string }).timeZone).to.equal('UTC');
  });

  it('reads YYYY-MM-DD bounds of metering and analytics periods as midnights of that zone', async () => {
    const metering = await operator(
      'GET',
      `/api/metering/organisations/${operatorOrg}?from=2026-05-01&to=2026-06-01`,
    );
    expect(metering.status, metering.text).to.equal(200);
    expect(metering.body).to.deep.include({ from: Date.UTC(2026, 4, 1), to: Date.UTC(2026, 5, 1) });
    // the analytics period's last day is included: it ends at the next midnight
    const usage = await operator('GET', '/api/analytics/usage?from=2026-05-01&to=2026-05-31');
    expect(usage.status, usage.text).to.equal(200);
    expect((usage.body as { period: unknown }).period).to.deep.equal({
      from: Date.UTC(2026, 4, 1),
      to: Date.UTC(2026, 5, 1),
    });
  });

  it('refuses to start with a zone it does not know, naming the variable and the value', async () => {
    const child = spawn(
      process.execPath,
      [path.join(REPO, 'orchestrator/bin/cyrop.js'), 'serve', '--port', '0'],
      {
        cwd: REPO,
        env: {
          ...process.env,
          CYROP_LOG_LEVEL: 'silent',
          CYROP_ENGINE: 'none',
          CYROP_DATA_DIR: path.join(dir, 'refused'),
          CYROP_TIME_ZONE: 'Asia/Tokio',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, out).to.not.equal(0);
    expect(out).to.include(
      'CYROP_TIME_ZONE=Asia/Tokio: must be an IANA time zone name such as Asia/Tokyo or UTC (not an offset)',
    );
    expect(out).to.not.include('CYROP is ready');
  });
});
