import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { pino } from 'pino';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { loadConfig, REPO_ROOT } from '../../orchestrator/src/config/load-config.ts';
import { startPlatform, type RunningPlatform } from '../../orchestrator/src/main.ts';
import { hasRule, REPLY_RULE } from '../../orchestrator/src/runtime/docker/host-firewall.ts';
import { containerName } from '../../orchestrator/src/runtime/docker/to-docker.ts';
import { openDatabase } from '../../orchestrator/src/store/database.ts';

/**
 * Web service tabs on the real Docker engine: the shipped web-sqli-pivot scenario's shop, opened
 * through the platform's web listener by team 1 (page, a form POST with the shop's own cookie and
 * redirect, the SQL injection the scenario teaches), refused to team 2, to anonymous callers and to
 * a second use of the same link; the console's session cookie never reaches the shop; and the host
 * firewall still drops a connection a container opens towards the host.
 */
describe('web service tabs (Docker engine, web-sqli-pivot)', function () {
  this.timeout(300_000);
  const X = `webtabs-${process.pid}`;
  let dir: string;
  let platform: RunningPlatform | undefined;
  let origin = '';
  const cookies: Record<string, string> = {};

  const call = async (
    who: string | undefined,
    method: string,
    url: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown>; text: string; setCookie: string | null }> => {
    const cookie = who ? cookies[who] : undefined;
    const res = await fetch(new URL(url, origin), {
      method,
      headers: {
        origin,
        ...(cookie ? { cookie } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: Record<string, unknown>;
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = {};
    }
    return { status: res.status, body: parsed, text, setCookie: res.headers.get('set-cookie') };
  };
  const keep = (who: string, setCookie: string | null) => {
    if (setCookie) cookies[who] = setCookie.split(';')[0]!;
  };

  /** A request to the web listener, redirects not followed; `cookie` as the browser would send it. */
  const web = (url: string, init: { cookie?: string; method?: string; body?: string; type?: string } = {}) =>
    fetch(url, {
      method: init.method ?? 'GET',
      redirect: 'manual',
      headers: {
        ...(init.cookie ? { cookie: init.cookie } : {}),
        ...(init.type ? { 'content-type': init.type } : {}),
      },
      ...(init.body !== undefined ? { body: init.body } : {}),
    });

  /** Follows the one-time link as a browser would: the grant cookie it sets. */
  const enter = async (url: string): Promise<string> => {
    const res = await web(url);
    expect(res.status, await res.clone().text()).to.equal(303);
    expect(res.headers.get('location')).to.equal('/');
    const set = res.headers.get('set-cookie') ?? '';
    expect(set).to.match(/^cyrop_web=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
    return set.split(';')[0]!;
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-webtabs-'));
    const database = await openDatabase(path.join(dir, 'data'));
    const first = (await new AccountService({ db: database.db }).ensureFirstOperator())!;
    await database.close();
    const config = loadConfig(
      { CYROP_SUBNET_POOL: '10.246.0.0/16' },
      { port: 0, dataDir: path.join(dir, 'data'), scenariosDir: path.join(REPO_ROOT, 'scenarios') },
    );
    platform = await startPlatform(config, pino({ level: 'silent' }));
    origin = platform.url.replace(/\/$/, '');
    expect(platform.webOrigin, 'the web listener runs').to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(platform.webOrigin).not.to.equal(origin);

    const login = await call('operator', 'POST', '/api/auth/login', {
      email: first.email,
      password: first.password,
    });
    expect(login.status, login.text).to.equal(200);
    keep('operator', login.setCookie);
    const changed = await call('operator', 'POST', '/api/auth/password', {
      currentPassword: first.password,
      newPassword: 'operator secret password 1',
    });
    expect(changed.status, changed.text).to.equal(200);
    keep('operator', changed.setCookie);

    const launched = await call('operator', 'POST', '/api/exercises', {
      scenario: 'web-sqli-pivot',
      teams: 2,
      id: X,
    });
    expect(launched.status, launched.text).to.equal(202);
    for (let i = 0; ; i++) {
      const s = (await call('operator', 'GET', `/api/exercises/${X}`)).body as {
        state?: string;
        teams?: { state: string; lastError?: string }[];
      };
      if (s.state === 'running' && s.teams?.every((t) => t.state === 'ready')) break;
      if (s.teams?.some((t) => t.state === 'failed')) throw new Error(`launch failed: ${JSON.stringify(s)}`);
      if (i > 400) throw new Error(`never ready: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    for (const team of ['team-1', 'team-2']) {
      const code = await call('operator', 'POST', `/api/exercises/${X}/teams/${team}/join-codes`, {});
      expect(code.status, code.text).to.equal(201);
      const joined = await call(team, 'POST', '/api/join', { code: code.body.code, displayName: team });
      expect(joined.status, joined.text).to.equal(200);
      keep(team, joined.setCookie);
    }
  });

  after(async () => {
    try {
      if (platform) {
        await call('operator', 'DELETE', `/api/exercises/${X}`);
        for (let i = 0; i < 120; i++) {
          const s = await call('operator', 'GET', `/api/exercises/${X}`);
          if (s.body.state === 'ended' || s.status === 404) break;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    } finally {
      await platform?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("lists the shop as a web service on team 1's page", async () => {
    const page = await call('team-1', 'GET', '/api/play/exercise?lang=ja');
    expect(page.status, page.text).to.equal(200);
    const hosts = page.body.hosts as { name: string; web: unknown[] }[];
    expect(hosts.find((h) => h.name === 'shop')?.web).to.deep.equal([
      { port: 8080, title: 'お茶のネットショップ', path: '/' },
    ]);
    expect(hosts.find((h) => h.name === 'attacker')?.web).to.deep.equal([]);
  });

  it("serves team 1 its shop through the proxy: page, login form with the shop's cookie, the injection", async () => {
    const link = await call('team-1', 'POST', `/api/exercises/${X}/teams/team-1/web`, {
      host: 'shop',
      port: 8080,
    });
    expect(link.status, link.text).to.equal(201);
    const url = link.body.url as string;
    expect(url.startsWith(`${platform!.webOrigin}/.cyrop/enter?ticket=`)).to.equal(true);
    const grant = await enter(url);

    const home = await web(`${platform!.webOrigin}/`, { cookie: `${grant}; ${cookies['team-1']}` });
    expect(home.status).to.equal(200);
    const html = await home.text();
    expect(html).to.include('<form action="/search">');
    expect(html).to.include('Staff login');

    // the scenario's first flag, through the proxy as a trainee would get it in the browser:
    // a form POST, the shop's own session cookie and its redirect pass through unchanged
    const form = new URLSearchParams({ username: "admin'-- ", password: 'x' }).toString();
    const login = await web(`${platform!.webOrigin}/login`, {
      cookie: grant,
      method: 'POST',
      body: form,
      type: 'application/x-www-form-urlencoded',
    });
    expect(login.status, await login.clone().text()).to.equal(303);
    expect(login.headers.get('location')).to.equal('/admin');
    const shopCookie = login.headers.get('set-cookie')?.split(';')[0] ?? '';
    expect(shopCookie, "the shop's own cookie").to.match(/^\w+=/);
    expect(shopCookie.startsWith('cyrop_')).to.equal(false);
    const admin = await web(`${platform!.webOrigin}/admin`, { cookie: `${grant}; ${shopCookie}` });
    expect(admin.status).to.equal(200);
    expect(await admin.text()).to.match(/CYROP\{[^}]+\}/);
  });

  it('refuses the link to team 2, to anonymous callers, to an undeclared port, and a second use of a link', async () => {
    const other = await call('team-2', 'POST', `/api/exercises/${X}/teams/team-1/web`, {
      host: 'shop',
      port: 8080,
    });
    expect(other.status, other.text).to.equal(403);
    expect(other.text).not.to.include('ticket');
    const anonymous = await call(undefined, 'POST', `/api/exercises/${X}/teams/team-1/web`, {
      host: 'shop',
      port: 8080,
    });
    expect(anonymous.status, anonymous.text).to.equal(401);
    const ssh = await call('team-1', 'POST', `/api/exercises/${X}/teams/team-1/web`, {
      host: 'shop',
      port: 22,
    });
    expect(ssh.status, ssh.text).to.equal(404);
    const backup = await call('team-1', 'POST', `/api/exercises/${X}/teams/team-1/web`, {
      host: 'backup',
      port: 8000,
    });
    expect(backup.status, 'the internal backup API is not a web service').to.equal(404);

    // the web listener without a grant: nothing of the shop, whatever the path
    for (const p of ['/', '/admin', '/login']) {
      const res = await web(`${platform!.webOrigin}${p}`);
      expect(res.status, p).to.equal(401);
      expect(await res.text()).not.to.include('Staff login');
    }
    // the console's own session cookie opens nothing on the web listener
    const withConsoleCookie = await web(`${platform!.webOrigin}/`, { cookie: cookies['team-1'] });
    expect(withConsoleCookie.status).to.equal(401);

    const link = await call('team-2', 'POST', `/api/exercises/${X}/teams/team-2/web`, {
      host: 'shop',
      port: 8080,
    });
    expect(link.status, link.text).to.equal(201);
    const url = link.body.url as string;
    await enter(url);
    const again = await web(url);
    expect(again.status, 'a link is good for one use').to.equal(401);
    expect(again.headers.get('set-cookie')).to.equal(null);
  });

  it('keeps the host firewall: replies of host-opened connections only; a container still cannot reach the host', async () => {
    expect(await hasRule('iptables', REPLY_RULE)).to.equal(true);
    const docker = new Docker();
    const container = docker.getContainer(containerName(X, 'team-1', 'attacker'));
    const gateway = Object.values(
      (await container.inspect()).NetworkSettings.Networks as Record<string, { Gateway: string }>,
    )[0]!.Gateway;
    // a listener on the host, on the team bridge's gateway address
    const server = net.createServer((s) => s.end('reached\n'));
    await new Promise<void>((r) => server.listen(0, gateway, r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const exec = await container.exec({
        Cmd: [
          'python3',
          '-c',
          `import socket;s=socket.socket();s.settimeout(3);s.connect(("${gateway}",${port}));print(s.recv(64))`,
        ],
        AttachStdout: true,
        AttachStderr: true,
      });
      const stream = await exec.start({ hijack: true, stdin: false });
      let out = '';
      stream.on('data', (c: Buffer) => (out += c.toString('latin1')));
      await new Promise((r) => stream.on('end', r));
      const { ExitCode } = await exec.inspect();
      expect(out).not.to.include('reached');
      expect(ExitCode, out).to.not.equal(0);
    } finally {
      server.close();
    }
  });
});
