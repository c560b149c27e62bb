import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { sessionAuthenticator } from '../../orchestrator/src/api/auth/session-authenticator.ts';
import { createApp } from '../../orchestrator/src/api/create-app.ts';
import { accountRoutes } from '../../orchestrator/src/api/routes/account-routes.ts';
import { adminRoutes, auditCsv } from '../../orchestrator/src/api/routes/admin-routes.ts';
import { invitationRoutes } from '../../orchestrator/src/api/routes/invitation-routes.ts';
import { InvitationService } from '../../orchestrator/src/accounts/invitation-service.ts';
import { ScenarioCatalogue } from '../../orchestrator/src/scenarios/scenario-catalogue.ts';
import { ScenarioLibrary } from '../../orchestrator/src/scenarios/scenario-library.ts';
import { ScenarioUploads } from '../../orchestrator/src/scenarios/scenario-uploads.ts';
import { openDatabase, type OpenedDatabase } from '../../orchestrator/src/store/database.ts';
import { REPO } from './helpers.ts';
import { checkedFetch } from '../response-check.ts';

interface Call {
  status: number;
  text: string;
  body: { error?: { code: string; message: string; details?: { pointer: string }[] } } & Record<
    string,
    unknown
  >;
  headers: Headers;
}

/**
 * The administration API against a real server (no engine): organisations with CYNEX categories,
 * contact and invoicing details, edit and disable; users of every organisation (operator) and of
 * one's own (org-admin: role, disable, password reset; another organisation's user is "not found");
 * the audit log's filters and CSV export; platform health; "my account" (language, sessions).
 */
describe('administration API (real server)', () => {
  let dir: string;
  let database: OpenedDatabase;
  let server: Server;
  let base: string;
  let now = 1_700_000_000_000;
  let accounts: AccountService;
  let orgA = '';
  let orgB = '';
  const ids: Record<string, string> = {};
  const cookies: Record<string, string> = {};

  async function call(
    method: string,
    url: string,
    options: { who?: string; cookie?: string; body?: unknown } = {},
  ): Promise<Call> {
    const headers: Record<string, string> = { origin: base };
    const cookie = options.cookie ?? (options.who ? cookies[options.who] : undefined);
    if (cookie) headers.cookie = cookie;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await checkedFetch(new URL(url, base), {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    // keep a byte-order mark (fetch's text() drops it)
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await res.arrayBuffer());
    let body: Call['body'] = {};
    try {
      body = text ? (JSON.parse(text) as Call['body']) : {};
    } catch {
      // CSV
    }
    return { status: res.status, text, body, headers: res.headers };
  }

  async function login(email: string, password: string): Promise<string> {
    const res = await call('POST', '/api/auth/login', { body: { email, password } });
    expect(res.status, res.text).to.equal(200);
    return res.headers
      .getSetCookie()
      .find((c) => c.startsWith('cyrop_session='))!
      .split(';')[0]!;
  }

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-admin-api-'));
    database = await openDatabase(dir);
    accounts = new AccountService({ db: database.db, clock: () => now, passwordCost: 10 });
    const scenarios = await new ScenarioLibrary({
      db: database.db,
      catalogue: new ScenarioCatalogue(path.join(REPO, 'tests/fixtures/valid')).load(),
      uploads: new ScenarioUploads(path.join(dir, 'scenarios')),
    }).init();
    const app = createApp({
      scenarios,
      logger: pino({ level: 'silent' }),
      authenticate: sessionAuthenticator(accounts),
      routes: (api) => {
        accountRoutes(api, { accounts, clock: () => now });
        invitationRoutes(api, {
          accounts,
          invitations: new InvitationService({ db: database.db, accounts, clock: () => now }),
        });
        adminRoutes(api, {
          accounts,
          scenarios,
          clock: () => now,
          probe: { version: '9.8.7', engine: 'docker', startedAt: now, engineCheck: () => Promise.resolve() },
        });
      },
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const first = (await accounts.ensureFirstOperator())!;
    const otp = await login(first.email, first.password);
    const changed = await call('POST', '/api/auth/password', {
      cookie: otp,
      body: { currentPassword: first.password, newPassword: 'operator password 1' },
    });
    cookies.operator = changed.headers.getSetCookie()[0]!.split(';')[0]!;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates organisations with a CYNEX category, contact and invoicing details; errors name the field', async () => {
    const bad = await call('POST', '/api/organisations', {
      who: 'operator',
      body: {
        name: 'Acme',
        kind: 'training-company',
        invoiceRegistrationNumber: 'T12345',
        contactEmail: 'not-an-email',
        contactPhone: 'call me',
      },
    });
    expect(bad.status).to.equal(400);
    expect(bad.body.error?.message).to.contain('invoiceRegistrationNumber: must be T followed by 13 digits');
    expect(bad.body.error?.details?.map((d) => d.pointer)).to.have.members([
      '/invoiceRegistrationNumber',
      '/contactEmail',
      '/contactPhone',
    ]);
    const badCategory = await call('POST', '/api/organisations', {
      who: 'operator',
      body: { name: 'Acme', kind: 'customer', category: 'pirates' },
    });
    expect(badCategory.status).to.equal(400);
    expect(badCategory.body.error?.message).to.contain('/category');

    const a = await call('POST', '/api/organisations', {
      who: 'operator',
      body: {
        name: 'アクメ研修株式会社',
        kind: 'training-company',
        category: 'sme',
        contactName: '山田 花子',
        contactEmail: 'Billing@Acme.example',
        contactPhone: '+81 3-1234-5678',
        postalAddress: '〒100-0001 東京都千代田区千代田1-1',
        invoiceRegistrationNumber: 't 9234-5678-90123',
      },
    });
    expect(a.status, a.text).to.equal(201);
    expect(a.body).to.deep.include({
      category: 'sme',
      contactEmail: 'billing@acme.example',
      invoiceRegistrationNumber: 'T9234567890123',
      disabled: false,
    });
    orgA = a.body.id as string;
    const b = await call('POST', '/api/organisations', {
      who: 'operator',
      body: { name: 'Beta University', kind: 'customer', category: 'educational-institution' },
    });
    expect(b.status).to.equal(201);
    orgB = b.body.id as string;

    for (const [key, orgId, role] of [
      ['adminA', orgA, 'org-admin'],
      ['instrA', orgA, 'instructor'],
      ['traineeA', orgA, 'trainee'],
      ['adminB', orgB, 'org-admin'],
      ['instrB', orgB, 'instructor'],
    ] as const) {
      const made = await call('POST', `/api/organisations/${orgId}/users`, {
        who: 'operator',
        body: { email: `${key}@example.com`, name: key, role, password: `${key} password 1` },
      });
      expect(made.status, made.text).to.equal(201);
      ids[key] = (made.body.user as { id: string }).id;
      cookies[key] = await login(`${key}@example.com`, `${key} password 1`);
    }
  });

  it('lets the operator edit an organisation and read it; an org-admin reads only their own', async () => {
    const edited = await call('PATCH', `/api/organisations/${orgA}`, {
      who: 'operator',
      body: { category: 'large-enterprise', contactPhone: null, name: 'Acme Training' },
    });
    expect(edited.status, edited.text).to.equal(200);
    expect(edited.body).to.deep.include({
      name: 'Acme Training',
      category: 'large-enterprise',
      contactPhone: null,
    });
    const wrong = await call('PATCH', `/api/organisations/${orgA}`, {
      who: 'operator',
      body: { invoiceRegistrationNumber: 'X0000000000000' },
    });
    expect(wrong.status).to.equal(400);
    expect(wrong.body.error?.details?.[0]?.pointer).to.equal('/invoiceRegistrationNumber');
    expect(
      (await call('PATCH', `/api/organisations/${orgA}`, { who: 'adminA', body: { name: 'x' } })).status,
    ).to.equal(403);
    expect(
      (await call('PATCH', '/api/organisations/no-such', { who: 'operator', body: { name: 'x' } })).status,
    ).to.equal(404);
    expect((await call('GET', `/api/organisations/${orgA}`, { who: 'adminA' })).body.name).to.equal(
      'Acme Training',
    );
    expect((await call('GET', `/api/organisations/${orgB}`, { who: 'adminA' })).status).to.equal(403);
    expect((await call('GET', `/api/organisations/${orgA}`, { who: 'instrA' })).status).to.equal(403);
  });

  it('lists the users of every organisation for the operator only', async () => {
    const all = await call('GET', '/api/users', { who: 'operator' });
    expect(all.status).to.equal(200);
    const emails = (all.body.users as { email: string }[]).map((u) => u.email);
    expect(emails).to.include.members(['admin@localhost', 'admina@example.com', 'adminb@example.com']);
    const onlyB = await call('GET', `/api/users?org=${orgB}`, { who: 'operator' });
    expect((onlyB.body.users as { orgId: string }[]).every((u) => u.orgId === orgB)).to.equal(true);
    expect((await call('GET', '/api/users', { who: 'adminA' })).status).to.equal(403);
  });

  it("lets an org-admin change roles within the organisation's kind, disable, enable; others' users are not found", async () => {
    const promoted = await call('PATCH', `/api/users/${ids.traineeA}`, {
      who: 'adminA',
      body: { role: 'instructor' },
    });
    expect(promoted.status, promoted.text).to.equal(200);
    expect(promoted.body.role).to.equal('instructor');
    const operator = await call('PATCH', `/api/users/${ids.traineeA}`, {
      who: 'adminA',
      body: { role: 'operator' },
    });
    expect(operator.status).to.equal(403);
    const byOperator = await call('PATCH', `/api/users/${ids.traineeA}`, {
      who: 'operator',
      body: { role: 'operator' },
    });
    expect(byOperator.status).to.equal(400);
    expect(byOperator.body.error?.details?.[0]?.pointer).to.equal('/role');
    // another organisation's user: as if it did not exist
    for (const [method, url, body] of [
      ['PATCH', `/api/users/${ids.instrB}`, { disabled: true }],
      ['POST', `/api/users/${ids.instrB}/password-reset`, undefined],
      ['PATCH', '/api/users/no-such-user', { disabled: true }],
    ] as const) {
      const res = await call(method, url, { who: 'adminA', ...(body ? { body } : {}) });
      expect(res.status, `${method} ${url}`).to.equal(404);
      expect(res.body.error?.code).to.equal('NOT_FOUND');
    }
    expect(
      (await call('PATCH', `/api/users/${ids.adminA}`, { who: 'adminA', body: { disabled: true } })).status,
    ).to.equal(409);
    expect(
      (await call('PATCH', `/api/users/${ids.instrA}`, { who: 'instrA', body: { disabled: true } })).status,
    ).to.equal(403);
    const empty = await call('PATCH', `/api/users/${ids.instrA}`, { who: 'adminA', body: {} });
    expect(empty.status).to.equal(400);

    expect((await call('GET', '/api/auth/me', { who: 'instrA' })).status).to.equal(200);
    const disabled = await call('PATCH', `/api/users/${ids.instrA}`, {
      who: 'adminA',
      body: { disabled: true },
    });
    expect(disabled.status).to.equal(200);
    expect(disabled.body.disabled).to.equal(true);
    expect((await call('GET', '/api/auth/me', { who: 'instrA' })).status, 'their session ended').to.equal(
      401,
    );
    const refused = await call('POST', '/api/auth/login', {
      body: { email: 'instrA@example.com', password: 'instrA password 1' },
    });
    expect(refused.status).to.equal(401);
    expect(
      (await call('PATCH', `/api/users/${ids.instrA}`, { who: 'adminA', body: { disabled: false } })).status,
    ).to.equal(200);
    cookies.instrA = await login('instrA@example.com', 'instrA password 1');
  });

  it('resets a password: a one-time password shown once, to be changed at next sign-in; sessions end', async () => {
    const reset = await call('POST', `/api/users/${ids.instrA}/password-reset`, { who: 'adminA' });
    expect(reset.status, reset.text).to.equal(200);
    const otp = reset.body.oneTimePassword as string;
    expect(otp).to.have.length.greaterThan(15);
    expect((await call('GET', '/api/auth/me', { who: 'instrA' })).status).to.equal(401);
    const old = await call('POST', '/api/auth/login', {
      body: { email: 'instrA@example.com', password: 'instrA password 1' },
    });
    expect(old.status).to.equal(401);
    const signedIn = await call('POST', '/api/auth/login', {
      body: { email: 'instrA@example.com', password: otp },
    });
    expect(signedIn.status).to.equal(200);
    expect(signedIn.body.mustChangePassword).to.equal(true);
  });

  it('disables an organisation: its users are signed out and refused; its users come back when enabled', async () => {
    expect((await call('GET', '/api/auth/me', { who: 'adminB' })).status).to.equal(200);
    const invited = await call('POST', `/api/organisations/${orgB}/invitations`, {
      who: 'adminB',
      body: { email: 'late@beta.example', role: 'trainee' },
    });
    expect(invited.status, invited.text).to.equal(201);
    const token = (invited.body.link as string).split('/#/invite/')[1]!;
    const off = await call('PATCH', `/api/organisations/${orgB}`, {
      who: 'operator',
      body: { disabled: true },
    });
    expect(off.status, off.text).to.equal(200);
    expect(off.body.disabled).to.equal(true);
    expect((await call('GET', '/api/auth/me', { who: 'adminB' })).status).to.equal(401);
    const refused = await call('POST', '/api/auth/login', {
      body: { email: 'adminB@example.com', password: 'adminB password 1' },
    });
    expect(refused.status).to.equal(401);
    const operatorOrg = (await accounts.listOrganisations()).find((o) => o.kind === 'operator')!;
    const self = await call('PATCH', `/api/organisations/${operatorOrg.id}`, {
      who: 'operator',
      body: { disabled: true },
    });
    expect(self.status).to.equal(409);
    // nobody joins a disabled organisation by invitation, old or new
    const accept = await call('POST', '/api/invitations/accept', {
      body: { token, name: 'Late', password: 'late password 12' },
    });
    expect(accept.status, accept.text).to.equal(409);
    expect(await accounts.listUsers(orgB)).to.satisfy((users: { email: string }[]) =>
      users.every((u) => u.email !== 'late@beta.example'),
    );
    const refusedInvite = await call('POST', `/api/organisations/${orgB}/invitations`, {
      who: 'operator',
      body: { email: 'later@beta.example', role: 'trainee' },
    });
    expect(refusedInvite.status).to.equal(409);
    const on = await call('PATCH', `/api/organisations/${orgB}`, {
      who: 'operator',
      body: { disabled: false },
    });
    expect(on.body.disabled).to.equal(false);
    cookies.adminB = await login('adminB@example.com', 'adminB password 1');
    cookies.instrB = await login('instrB@example.com', 'instrB password 1');
  });

  it('filters the audit log by actor, action, target and time, and scopes it to the org-admin', async () => {
    now += 60_000;
    const mark = now;
    await call('PATCH', `/api/users/${ids.instrA}`, { who: 'adminA', body: { role: 'trainee' } });
    now += 60_000;
    const q = async (who: string, query: string) => {
      const res = await call('GET', `/api/audit?${query}`, { who });
      expect(res.status, res.text).to.equal(200);
      return res.body.entries as {
        actor: string;
        action: string;
        target: string;
        at: number;
        orgId: string;
      }[];
    };
    const roleChanges = await q('operator', 'action=user.role');
    expect(roleChanges.map((e) => e.action)).to.deep.equal(['user.role-changed', 'user.role-changed']);
    const byAdmin = await q('operator', `actor=user:${ids.adminA}`);
    expect(byAdmin.length).to.be.greaterThan(3);
    expect(byAdmin.every((e) => e.actor === `user:${ids.adminA}`)).to.equal(true);
    const onInstr = await q('operator', `target=user:${ids.instrA}`);
    expect(onInstr.map((e) => e.action)).to.include.members([
      'user.disabled',
      'user.enabled',
      'user.password-reset',
    ]);
    const recent = await q('operator', `from=${mark}&to=${mark + 1}`);
    expect(recent.map((e) => e.action)).to.deep.equal(['user.role-changed']);
    const orgEntries = await q('operator', 'action=organisation.');
    expect(orgEntries.map((e) => e.action)).to.include.members([
      'organisation.created',
      'organisation.updated',
      'organisation.disabled',
      'organisation.enabled',
    ]);
    const scoped = await q('adminA', '');
    expect(scoped.every((e) => e.orgId === orgA)).to.equal(true);
    expect((await q('adminB', 'action=user.role')).length).to.equal(0);
    const backwards = await call('GET', `/api/audit?from=${mark}&to=${mark}`, { who: 'operator' });
    expect(backwards.status).to.equal(400);
    expect(backwards.body.error?.message).to.contain('to:');
    expect((await call('GET', '/api/audit?from=yesterday', { who: 'operator' })).status).to.equal(400);
    expect((await call('GET', '/api/audit', { who: 'instrB' })).status).to.equal(403);
  });

  it('exports the audit log as CSV: UTF-8 with BOM, Japanese intact, formulas guarded, filters applied', async () => {
    const res = await call('GET', '/api/audit/export?action=organisation.created', { who: 'operator' });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).to.match(/^attachment; filename="cyrop-audit-.*\.csv"$/);
    expect(res.text.charCodeAt(0)).to.equal(0xfeff);
    const lines = res.text.slice(1).trimEnd().split('\r\n');
    expect(lines[0]).to.equal('id,at,actor,organisation,action,target,details,ip');
    expect(lines).to.have.length(3);
    expect(res.text).to.contain('アクメ研修株式会社');
    const scoped = await call('GET', '/api/audit/export', { who: 'adminB' });
    expect(scoped.text).not.to.contain(orgA);
    const guarded = auditCsv([
      {
        id: 1,
        at: 0,
        actor: '=HYPERLINK("x")',
        orgId: null,
        action: '+a',
        target: '-1',
        details: {},
        ip: '@x',
      },
    ]);
    expect(guarded).to.contain(`"'=HYPERLINK(""x"")",,'+a,'-1,{},'@x`);
  });

  it('shows platform health to the operator', async () => {
    const res = await call('GET', '/api/admin/health', { who: 'operator' });
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.include({ version: '9.8.7' });
    expect(res.body.engine).to.deep.include({ name: 'docker', ok: true });
    expect(res.body.database).to.deep.include({ ok: true });
    expect(res.body.counts).to.deep.include({ organisations: 3, exercisesRunning: 0 });
    expect((res.body.counts as { users: number }).users).to.equal(6);
    expect((await call('GET', '/api/admin/health', { who: 'adminA' })).status).to.equal(403);
  });

  it("lists an organisation's scenarios for its admin and the operator", async () => {
    expect(
      (await call('GET', `/api/organisations/${orgA}/scenarios`, { who: 'adminA' })).body.versions,
    ).to.deep.equal([]);
    expect((await call('GET', `/api/organisations/${orgB}/scenarios`, { who: 'adminA' })).status).to.equal(
      403,
    );
    expect((await call('GET', `/api/organisations/${orgB}/scenarios`, { who: 'operator' })).status).to.equal(
      200,
    );
  });

  it('"my account": language, sessions with this one marked, signing out one session and everywhere else', async () => {
    const acct = await call('GET', '/api/account', { who: 'adminA' });
    expect(acct.status).to.equal(200);
    expect(acct.body.user).to.deep.include({ email: 'admina@example.com', preferredLanguage: null });
    expect(acct.body.organisation).to.deep.include({ id: orgA, name: 'Acme Training' });
    const ja = await call('PATCH', '/api/account', { who: 'adminA', body: { preferredLanguage: 'ja' } });
    expect((ja.body.user as { preferredLanguage: string }).preferredLanguage).to.equal('ja');
    const bad = await call('PATCH', '/api/account', { who: 'adminA', body: { preferredLanguage: 'fr' } });
    expect(bad.status).to.equal(400);
    expect(bad.body.error?.message).to.contain('/preferredLanguage');

    const second = await login('adminA@example.com', 'adminA password 1');
    const third = await login('adminA@example.com', 'adminA password 1');
    const list = await call('GET', '/api/account/sessions', { who: 'adminA' });
    const sessions = list.body.sessions as { id: string; current: boolean }[];
    expect(sessions).to.have.length(3);
    expect(sessions.filter((s) => s.current)).to.have.length(1);
    expect(JSON.stringify(sessions)).not.to.contain(cookies.adminA!.split('=')[1]!);
    const mine = sessions.find((s) => s.current)!;
    // one other session of theirs, by id, from the third browser
    const ofSecond = (await call('GET', '/api/account/sessions', { cookie: second })).body.sessions as {
      id: string;
      current: boolean;
    }[];
    const secondId = ofSecond.find((s) => s.current)!.id;
    expect((await call('DELETE', `/api/account/sessions/${secondId}`, { cookie: third })).status).to.equal(
      204,
    );
    expect((await call('GET', '/api/auth/me', { cookie: second })).status).to.equal(401);
    // someone else's session id is not theirs to end
    expect((await call('DELETE', `/api/account/sessions/${mine.id}`, { who: 'adminB' })).status).to.equal(
      404,
    );
    expect(
      (await call('DELETE', `/api/account/sessions/${'0'.repeat(32)}`, { who: 'adminA' })).status,
    ).to.equal(404);
    const others = await call('POST', '/api/account/sessions/sign-out-others', { who: 'adminA' });
    expect(others.body).to.deep.equal({ ended: 1 });
    expect((await call('GET', '/api/auth/me', { cookie: third })).status).to.equal(401);
    expect((await call('GET', '/api/auth/me', { who: 'adminA' })).status).to.equal(200);
    const audit = await call('GET', `/api/audit?actor=user:${ids.adminA}&action=auth.`, { who: 'operator' });
    expect((audit.body.entries as { action: string }[]).map((e) => e.action)).to.include.members([
      'auth.session-ended',
      'auth.signed-out-elsewhere',
    ]);
  });
});
