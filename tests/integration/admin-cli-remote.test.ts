import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { cliPrincipal } from '../../orchestrator/src/access/principal.ts';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { loadConfig } from '../../orchestrator/src/config/load-config.ts';
import { startPlatform, type RunningPlatform } from '../../orchestrator/src/main.ts';
import { openDatabase } from '../../orchestrator/src/store/database.ts';
import { apiClient } from '../api-client.ts';
import { REPO, tinyScenario } from './helpers.ts';
import { checkedFetch } from '../response-check.ts';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run the real `cyrop` command as a child process. Not spawnSync: the server answering it runs in
 * this process, so its event loop must keep turning while the command waits.
 */
function cyropAsync(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<Run> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('CYROP_') && key !== 'XDG_CONFIG_HOME'),
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO, 'orchestrator/bin/cyrop.js'), ...args], {
      cwd: REPO,
      env: { ...inherited, CYROP_LOG_LEVEL: 'silent', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => {
      resolve({ status, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

/** The structure of a JSON value: keys and value types, never the values. */
function shape(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return [...new Set(value.map((v) => JSON.stringify(shape(v))))].sort();
  if (typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, shape((value as Record<string, unknown>)[k])]),
    );
  return typeof value;
}

/**
 * A JSON value with what differs between two installations replaced by a name: the ids the script
 * made (by what they are), times and one-time passwords.
 */
function normalised(value: unknown, ids: Map<string, string>): unknown {
  if (typeof value === 'string') return ids.get(value) ?? value;
  if (Array.isArray(value)) return value.map((v) => normalised(v, ids));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        ['createdAt', 'disabledAt', 'oneTimePassword'].includes(k) && v !== null
          ? `<${k}>`
          : normalised(v, ids),
      ]),
    );
  return value;
}

/**
 * `cyrop org|user|scenario … --server URL` against a real server (in this process, on loopback, with
 * real SQLite): `cyrop login` keeps a 0600 session file, every command acts as the signed-in user
 * (the server's rules refuse what the API refuses, the audit names that user), `cyrop logout` ends
 * the session on the server; and the same script run against a data directory prints the same JSON.
 */
describe('cyrop CLI against a running server', function () {
  this.timeout(900_000);
  let dir: string;
  let platform: RunningPlatform;
  let origin: string;
  let firstOperator: { email: string; password: string };
  const OPS = { email: 'ops@example.com', password: 'ops-password-1' };
  const ADMIN_A = { email: 'admin@a.example', password: 'admin-a-password-1' };
  /** The operator's CLI (its own config folder) and the org-admin's. */
  let opsEnv: NodeJS.ProcessEnv;
  let adminEnv: NodeJS.ProcessEnv;
  let localEnv: NodeJS.ProcessEnv;
  let opsUserId = '';
  let folder = '';

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-cli-remote-'));
    const dataDir = path.join(dir, 'server-data');
    // The server's operator, with a password of their own (the first one must change theirs).
    const database = await openDatabase(dataDir);
    try {
      const accounts = new AccountService({ db: database.db });
      firstOperator = (await accounts.ensureFirstOperator())!;
      const operator = (await accounts.listOrganisations()).find((o) => o.kind === 'operator')!;
      const made = await accounts.createUserAs(cliPrincipal(operator.id), {
        orgId: operator.id,
        email: OPS.email,
        name: 'Ops',
        role: 'operator',
        password: OPS.password,
      });
      opsUserId = made.user.id;
    } finally {
      await database.close();
    }
    const config = loadConfig(
      {},
      { port: 0, dataDir, scenariosDir: path.join(REPO, 'tests/fixtures/valid'), engine: 'none' },
    );
    platform = await startPlatform(config, pino({ level: 'silent' }));
    origin = new URL(platform.url).origin;
    // No data directory for the remote runs: were one used, this path would appear.
    const never = path.join(dir, 'never-used-data');
    opsEnv = {
      HOME: path.join(dir, 'home-ops'),
      XDG_CONFIG_HOME: path.join(dir, 'xdg-ops'),
      CYROP_DATA_DIR: never,
    };
    adminEnv = { HOME: path.join(dir, 'home-admin'), CYROP_DATA_DIR: never };
    localEnv = {
      HOME: path.join(dir, 'home-local'),
      CYROP_DATA_DIR: path.join(dir, 'local-data'),
      CYROP_SCENARIOS_DIR: path.join(REPO, 'tests/fixtures/valid'),
    };
    folder = path.join(dir, 'tiny');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'scenario.yaml'), tinyScenario('cli-remote-tiny'));
  });
  after(async () => {
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const sessionFile = () => path.join(dir, 'xdg-ops', 'cyrop', 'sessions.json');

  it('refuses before sign-in, names an unreachable server, and tells a must-change-password account what to do', async () => {
    const unsigned = await cyropAsync(['org', 'list', '--server', platform.url], opsEnv);
    expect(unsigned.status).to.equal(2);
    expect(unsigned.stderr).to.equal(
      `cyrop: UNAUTHENTICATED: not signed in to ${origin}: run cyrop login --server ${origin} --email <your email>\n`,
    );

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const dead = await cyropAsync(
      ['login', '--server', `http://127.0.0.1:${port}`, '--email', OPS.email],
      opsEnv,
      OPS.password,
    );
    expect(dead.status).to.equal(2);
    expect(dead.stderr).to.match(
      new RegExp(
        `^cyrop: IO_ERROR: cannot reach the server at http://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED.*\\n$`,
      ),
    );
    expect(dead.stderr).not.to.contain('    at ');

    const wrong = await cyropAsync(
      ['login', '--server', platform.url, '--email', OPS.email],
      opsEnv,
      'not-it\n',
    );
    expect(wrong.status).to.equal(2);
    expect(wrong.stderr).to.match(/^cyrop: UNAUTHENTICATED: /);

    const mustChange = await cyropAsync(
      ['login', '--server', platform.url, '--email', firstOperator.email],
      opsEnv,
      `${firstOperator.password}\n`,
    );
    expect(mustChange.status).to.equal(2);
    expect(mustChange.stderr).to.equal(
      `cyrop: FORBIDDEN: ${firstOperator.email} still has a one-time password: sign in to the console at ${origin}/ and choose a new password, then run cyrop login again\n`,
    );
    expect(() => statSync(sessionFile()), 'no session was kept').to.throw();
  });

  it('signs in with the password on stdin and keeps the session in a 0600 file keyed by origin', async () => {
    const login = await cyropAsync(
      ['login', '--server', platform.url, '--email', OPS.email],
      opsEnv,
      `${OPS.password}\n`,
    );
    expect(login.status, login.stderr).to.equal(0);
    expect(login.stdout).to.contain(`signed in to ${origin} as ${OPS.email} (operator`);
    expect(statSync(sessionFile()).mode & 0o777).to.equal(0o600);
    expect(statSync(path.dirname(sessionFile())).mode & 0o777).to.equal(0o700);
    const stored = JSON.parse(readFileSync(sessionFile(), 'utf8')) as Record<
      string,
      { cookie: string; email: string }
    >;
    expect(Object.keys(stored)).to.deep.equal([origin]);
    expect(stored[origin]!.email).to.equal(OPS.email);
    expect(stored[origin]!.cookie).to.match(/^cyrop_session=\S+$/);
    // CYROP_SERVER stands in for --server
    const viaEnv = await cyropAsync(['org', 'list', '--format', 'json'], {
      ...opsEnv,
      CYROP_SERVER: platform.url,
    });
    expect(viaEnv.status, viaEnv.stderr).to.equal(0);
    expect((JSON.parse(viaEnv.stdout) as { kind: string }[]).map((o) => o.kind)).to.deep.equal(['operator']);
  });

  /** The same set-up script, whichever back-end answers: every JSON output in order, plus what it made. */
  async function script(run: (args: string[]) => Promise<Run>) {
    const outputs: unknown[] = [];
    const json = async (args: string[]) => {
      const r = await run([...args, '--format', 'json']);
      expect(r.status, `cyrop ${args.join(' ')}: ${r.stderr}`).to.equal(0);
      const value = JSON.parse(r.stdout) as Record<string, unknown> & { id: string };
      outputs.push(value);
      return value;
    };
    const a = await json([
      'org',
      'create',
      '--name',
      'Company A',
      '--kind',
      'training-company',
      '--category',
      'sme',
    ]);
    const b = await json([
      'org',
      'create',
      '--name',
      'Customer B',
      '--kind',
      'customer',
      '--invoice-number',
      'T9234567890123',
    ]);
    await json(['org', 'list']);
    const adminA = (await json([
      'user',
      'create',
      '--org',
      a.id,
      '--email',
      ADMIN_A.email,
      '--name',
      'Admin A',
      '--role',
      'org-admin',
      '--password',
      ADMIN_A.password,
    ])) as unknown as { user: { id: string } };
    const traineeB = (await json([
      'user',
      'create',
      '--org',
      b.id,
      '--email',
      'trainee@b.example',
      '--name',
      'Trainee B',
      '--role',
      'trainee',
    ])) as unknown as { user: { id: string }; oneTimePassword: string };
    expect(traineeB.oneTimePassword).to.be.a('string');
    await json(['user', 'list', '--org', a.id]);
    await json(['user', 'disable', 'trainee@b.example']);
    await json(['user', 'disable', traineeB.user.id, '--enable']);
    await json(['user', 'reset-password', 'trainee@b.example']);
    const up = await json(['scenario', 'upload', folder]);
    expect(up).to.deep.include({ id: 'cli-remote-tiny', publication: 'private', created: true });
    expect((await json(['scenario', 'upload', folder])).created).to.equal(false);
    expect((await json(['scenario', 'archive', 'cli-remote-tiny@1.0.0'])).archived).to.equal(true);
    expect((await json(['scenario', 'archive', 'cli-remote-tiny@1.0.0', '--restore'])).archived).to.equal(
      false,
    );
    expect((await json(['scenario', 'publish', 'cli-remote-tiny@1.0.0'])).publication).to.equal('published');
    await json(['scenario', 'list']);
    await json(['scenario', 'list', '--org', String(up.ownerOrgId)]);
    const text = await run(['user', 'list', '--org', a.id]);
    const made = {
      orgA: a.id,
      orgB: b.id,
      adminA: adminA.user.id,
      traineeB: traineeB.user.id,
      operatorOrg: String(up.ownerOrgId),
    };
    const ids = new Map(Object.entries(made).map(([name, id]) => [id, `<${name}>`]));
    return { outputs, ids, ...made, text: text.stdout };
  }

  let remote: Awaited<ReturnType<typeof script>>;
  let local: Awaited<ReturnType<typeof script>>;

  it('runs a set-up script over the server as the signed-in operator, audited as that user', async () => {
    const started = Date.now();
    remote = await script((args) => cyropAsync([...args, '--server', platform.url], opsEnv));
    expect(remote.text).to.contain(
      `${remote.adminA}  org-admin  ${ADMIN_A.email}  (Admin A) org ${remote.orgA}\n`,
    );

    const api = apiClient(platform.url, { checkResponses: true });
    expect((await api('POST', '/api/auth/login', OPS)).status).to.equal(200);
    const audit = await api('GET', `/api/audit?limit=500&from=${started}`);
    expect(audit.status, audit.text).to.equal(200);
    const entries = audit.body.entries as { actor: string; action: string; target: string }[];
    const by = (action: string) => entries.filter((e) => e.action === action).map((e) => e.actor);
    for (const action of [
      'organisation.created',
      'user.created',
      'user.disabled',
      'user.enabled',
      'user.password-reset',
      'scenario.upload',
      'scenario.archive',
      'scenario.restore',
      'scenario.publication.published',
    ]) {
      expect(by(action), action).to.not.be.empty;
      expect(new Set(by(action)), action).to.deep.equal(new Set([`user:${opsUserId}`]));
    }
    expect(entries.map((e) => e.actor)).not.to.include('system:cli');
  });

  it('prints the same JSON shapes (and, ids and times aside, the same values) against the data directory', async () => {
    local = await script((args) => cyropAsync(args, localEnv));
    expect(local.outputs).to.have.length(remote.outputs.length);
    for (let i = 0; i < remote.outputs.length; i++) {
      expect(shape(local.outputs[i]), `output ${i}`).to.deep.equal(shape(remote.outputs[i]));
      expect(normalised(local.outputs[i], local.ids), `output ${i}`).to.deep.equal(
        normalised(remote.outputs[i], remote.ids),
      );
    }
    expect(local.text.replaceAll(local.adminA, '<id>').replaceAll(local.orgA, '<org>')).to.equal(
      remote.text.replaceAll(remote.adminA, '<id>').replaceAll(remote.orgA, '<org>'),
    );
  });

  it("an org-admin of A is refused B's things exactly as the API refuses them", async () => {
    const login = await cyropAsync(
      ['login', '--server', platform.url, '--email', ADMIN_A.email],
      adminEnv,
      ADMIN_A.password,
    );
    expect(login.status, login.stderr).to.equal(0);
    // ~/.config/cyrop when XDG_CONFIG_HOME is not set
    expect(statSync(path.join(dir, 'home-admin', '.config', 'cyrop', 'sessions.json')).mode & 0o777).to.equal(
      0o600,
    );
    const api = apiClient(platform.url, { checkResponses: true });
    expect((await api('POST', '/api/auth/login', ADMIN_A)).status).to.equal(200);
    const cli = (args: string[]) => cyropAsync([...args, '--server', platform.url], adminEnv);
    const pairs: [string[], string, string, unknown?][] = [
      [['org', 'list'], 'GET', '/api/organisations'],
      [['user', 'list', '--org', remote.orgB], 'GET', `/api/organisations/${remote.orgB}/users`],
      [['user', 'disable', remote.traineeB], 'PATCH', `/api/users/${remote.traineeB}`, { disabled: true }],
      [['user', 'reset-password', remote.traineeB], 'POST', `/api/users/${remote.traineeB}/password-reset`],
      [['org', 'disable', remote.orgB], 'PATCH', `/api/organisations/${remote.orgB}`, { disabled: true }],
      [
        ['scenario', 'archive', 'cli-remote-tiny@1.0.0'],
        'POST',
        '/api/scenarios/cli-remote-tiny/versions/1.0.0/archive',
      ],
      [['scenario', 'list', '--org', remote.orgB], 'GET', `/api/organisations/${remote.orgB}/scenarios`],
    ];
    const statuses: number[] = [];
    for (const [args, method, url, body] of pairs) {
      const answer = await api(method, url, body);
      const error = answer.body.error as { code: string; message: string } | undefined;
      expect(error, `${method} ${url}: ${answer.text}`).to.not.equal(undefined);
      statuses.push(answer.status);
      const r = await cli(args);
      expect(r.status, args.join(' ')).to.equal(2);
      expect(r.stderr, args.join(' ')).to.equal(`cyrop: ${error!.code}: ${error!.message}\n`);
      expect(r.stdout).to.equal('');
    }
    expect(statuses).to.include.members([403, 404]);

    // what an org-admin may do: their own users, an upload of their own, asking for its publication
    const mine = await cli(['user', 'list', '--format', 'json']);
    expect(mine.status, mine.stderr).to.equal(0);
    expect((JSON.parse(mine.stdout) as { email: string }[]).map((u) => u.email)).to.deep.equal([
      ADMIN_A.email,
    ]);
    writeFileSync(path.join(folder, 'scenario.yaml'), tinyScenario('cli-remote-a'));
    const up = await cli(['scenario', 'upload', folder, '--format', 'json']);
    expect(up.status, up.stderr).to.equal(0);
    expect(JSON.parse(up.stdout)).to.deep.include({
      id: 'cli-remote-a',
      ownerOrgId: remote.orgA,
      created: true,
    });
    const other = await cli(['scenario', 'upload', folder, '--org', remote.orgB]);
    expect(other.status).to.equal(2);
    expect(other.stderr).to.match(
      /^cyrop: FORBIDDEN: an upload belongs to the organisation of the signed-in user/,
    );
    const asked = await cli(['scenario', 'publish', 'cli-remote-a@1.0.0', '--format', 'json']);
    expect(asked.status, asked.stderr).to.equal(0);
    expect(JSON.parse(asked.stdout)).to.deep.include({ publication: 'requested' });

    // a broken upload: the same file:line diagnostics as against the data directory, exit 1
    writeFileSync(
      path.join(folder, 'scenario.yaml'),
      tinyScenario('cli-remote-broken').replace('points: 10', 'points: -1'),
    );
    const invalid = await cli(['scenario', 'upload', folder]);
    expect(invalid.status).to.equal(1);
    expect(invalid.stdout).to.match(
      new RegExp(
        `^${folder.replaceAll('/', '\\/')}\\/scenario\\.yaml:\\d+:\\d+ {2}\\/objectives\\/0\\/points {2}must be >= 0\\b`,
        'm',
      ),
    );
    expect(invalid.stdout).to.match(/\n1 error\(s\): nothing stored\n$/);
    const localInvalid = await cyropAsync(['scenario', 'upload', folder], localEnv);
    expect(localInvalid.status).to.equal(1);
    expect(localInvalid.stdout).to.equal(invalid.stdout);

    const operator = apiClient(platform.url, { checkResponses: true });
    await operator('POST', '/api/auth/login', OPS);
    const audit = await operator('GET', '/api/audit?action=scenario.&limit=500');
    const entries = audit.body.entries as { actor: string; action: string; target: string }[];
    const adminActor = entries
      .filter((e) => e.target.startsWith('cli-remote-a'))
      .map((e) => `${e.actor} ${e.action}`);
    expect(adminActor).to.include.members([
      `user:${remote.adminA} scenario.upload`,
      `user:${remote.adminA} scenario.publication.requested`,
    ]);
  });

  it('logs out: the session ends on the server and leaves the file', async () => {
    const before = JSON.parse(readFileSync(sessionFile(), 'utf8')) as Record<string, { cookie: string }>;
    const cookie = before[origin]!.cookie;
    const alive = await checkedFetch(new URL('/api/auth/me', origin), { headers: { cookie, origin } });
    expect(alive.status).to.equal(200);
    const out = await cyropAsync(['logout', '--server', platform.url], opsEnv);
    expect(out.status, out.stderr).to.equal(0);
    expect(out.stdout).to.equal(`signed out of ${origin} (${OPS.email})\n`);
    const dead = await checkedFetch(new URL('/api/auth/me', origin), { headers: { cookie, origin } });
    expect(dead.status).to.equal(401);
    expect(JSON.parse(readFileSync(sessionFile(), 'utf8'))).to.deep.equal({});
    expect(statSync(sessionFile()).mode & 0o777).to.equal(0o600);
    const after = await cyropAsync(['org', 'list', '--server', platform.url], opsEnv);
    expect(after.status).to.equal(2);
    expect(after.stderr).to.match(/^cyrop: UNAUTHENTICATED: not signed in to /);
    // a session the server no longer knows (ended, expired): the server's refusal, and what to do
    writeFileSync(sessionFile(), JSON.stringify(before), { mode: 0o600 });
    const ended = await cyropAsync(['org', 'list', '--server', platform.url], opsEnv);
    expect(ended.status).to.equal(2);
    expect(ended.stderr).to.match(
      new RegExp(
        `^cyrop: UNAUTHENTICATED: .+ \\(the session of ${OPS.email} at ${origin} has ended: run cyrop login --server ${origin} --email <your email>\\)\n$`,
      ),
    );
  });
});
