import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CyropError } from '../errors.ts';
import { openDatabase, type OpenedDatabase } from '../store/database.ts';
import { AccountService } from './account-service.ts';
import { normaliseJoinCode } from './join-code.ts';
import { hashPassword, verifyPassword } from './password-hash.ts';

const MIN = 60_000;

async function rejects(promise: Promise<unknown>, code: string): Promise<CyropError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(CyropError);
    expect((error as CyropError).code).to.equal(code);
    return error as CyropError;
  }
  throw new Error(`expected ${code}`);
}

describe('AccountService', () => {
  let dir: string;
  let database: OpenedDatabase;
  let now: number;
  let accounts: AccountService;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-accounts-'));
    database = await openDatabase(dir);
    now = 1_700_000_000_000;
    accounts = new AccountService({ db: database.db, clock: () => now, passwordCost: 10 });
  });
  afterEach(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function exercise(id: string, orgId: string | null, teams = ['team-1', 'team-2']) {
    await database.db
      .insertInto('exercises')
      .values({
        id,
        scenario_id: 's',
        scenario_version: '1',
        scenario_hash: 'h',
        scenario_path: 'p',
        secret: 'x',
        state: 'running',
        engine: 'docker',
        created_at: now,
        updated_at: now,
        expires_at: null,
        org_id: orgId,
      })
      .execute();
    for (const [i, team] of teams.entries())
      await database.db
        .insertInto('exercise_teams')
        .values({
          exercise_id: id,
          team_id: team,
          team_name: team,
          team_index: i,
          plan: '{}',
          plan_hash: 'h',
          state: 'ready',
          last_error: null,
          updated_at: now,
        })
        .execute();
  }

  it('hashes passwords with scrypt, a per-hash salt, and verifies them', async () => {
    const a = await hashPassword('correct horse battery', 10);
    const b = await hashPassword('correct horse battery', 10);
    expect(a).to.match(/^scrypt\$10\$8\$1\$/);
    expect(a).to.not.equal(b);
    expect(await verifyPassword('correct horse battery', a)).to.equal(true);
    expect(await verifyPassword('correct horse batterz', a)).to.equal(false);
    expect(await verifyPassword('x', 'garbage')).to.equal(false);
  });

  it('creates the first operator once, with a one-time password that must be changed', async () => {
    const first = await accounts.ensureFirstOperator();
    expect(first?.email).to.equal('admin@localhost');
    expect(first?.password).to.have.length.greaterThanOrEqual(16);
    expect(await accounts.ensureFirstOperator()).to.equal(undefined);
    const grant = await accounts.login('ADMIN@localhost', first!.password);
    expect(grant.mustChangePassword).to.equal(true);
    expect(grant.principal).to.include({ kind: 'user', role: 'operator' });
    const changed = await accounts.changePassword(
      (grant.principal as { userId: string }).userId,
      first!.password,
      'a much better password',
    );
    expect(changed.mustChangePassword).to.equal(false);
    expect(await accounts.resolveSession(grant.token)).to.equal(undefined); // old sessions ended
    expect((await accounts.resolveSession(changed.token))?.mustChangePassword).to.equal(false);
    const audit = await accounts.listAudit();
    expect(audit.map((e) => e.action)).to.include('bootstrap.first-operator');
  });

  it('checks emails, case-insensitive uniqueness and which roles an organisation may have', async () => {
    const org = await accounts.createOrganisation({ name: 'Acme Training', kind: 'training-company' });
    await rejects(
      accounts
        .createOrganisation({ name: 'Op', kind: 'operator' })
        .then(() => accounts.createOrganisation({ name: 'Op2', kind: 'operator' })),
      'CONFLICT',
    );
    await rejects(
      accounts.createUser({ orgId: org.id, email: 'not-an-email', name: 'A', role: 'trainee' }),
      'BAD_REQUEST',
    );
    await rejects(
      accounts.createUser({ orgId: org.id, email: 'a@b.c', name: 'A', role: 'operator' }),
      'BAD_REQUEST',
    );
    await rejects(
      accounts.createUser({ orgId: 'nope', email: 'a@b.c', name: 'A', role: 'trainee' }),
      'NOT_FOUND',
    );
    await rejects(
      accounts.createUser({ orgId: org.id, email: 'a@b.c', name: 'A', role: 'trainee', password: 'short' }),
      'BAD_REQUEST',
    );
    const { user, oneTimePassword } = await accounts.createUser({
      orgId: org.id,
      email: 'Ann@Acme.example',
      name: 'Ann',
      role: 'instructor',
    });
    expect(user.email).to.equal('ann@acme.example');
    expect(oneTimePassword).to.be.a('string');
    await rejects(
      accounts.createUser({ orgId: org.id, email: 'ANN@acme.example', name: 'Ann 2', role: 'trainee' }),
      'CONFLICT',
    );
  });

  it('expires sessions when idle and absolutely, and logout deletes them', async () => {
    const org = await accounts.createOrganisation({ name: 'Acme', kind: 'customer' });
    await accounts.createUser({
      orgId: org.id,
      email: 't@acme.example',
      name: 'T',
      role: 'trainee',
      password: 'trainee password',
    });
    const grant = await accounts.login('t@acme.example', 'trainee password');
    const stored = await database.db.selectFrom('sessions').select('id').execute();
    expect(stored.map((s) => s.id)).to.not.include(grant.token); // only the hash is stored
    now += 119 * MIN;
    expect((await accounts.resolveSession(grant.token))?.principal.kind).to.equal('user');
    now += 119 * MIN; // used a moment ago: idle clock restarted
    expect(await accounts.resolveSession(grant.token)).to.not.equal(undefined);
    now += 121 * MIN;
    expect(await accounts.resolveSession(grant.token)).to.equal(undefined); // idle > 2 h

    const second = await accounts.login('t@acme.example', 'trainee password');
    for (let i = 0; i < 12; i++) {
      now += 60 * MIN;
      const alive = await accounts.resolveSession(second.token);
      expect(alive !== undefined).to.equal(i < 11, `hour ${i + 1}`); // absolute 12 h
    }
    const third = await accounts.login('t@acme.example', 'trainee password');
    await accounts.logout(third.token);
    expect(await accounts.resolveSession(third.token)).to.equal(undefined);
  });

  it('audits sign-ins, failures, password changes and sign-outs itself, whoever calls it', async () => {
    const org = await accounts.createOrganisation({ name: 'Audited', kind: 'customer' });
    const { user } = await accounts.createUser({
      orgId: org.id,
      email: 'a@audited.example',
      name: 'A',
      role: 'trainee',
      password: 'audited password 1',
    });
    await rejects(accounts.login('A@audited.example', 'wrong password 1', '192.0.2.1'), 'UNAUTHENTICATED');
    await accounts.login('a@audited.example', 'audited password 1', '192.0.2.1');
    const changed = await accounts.changePassword(user.id, 'audited password 1', 'audited password 2', {
      ip: '192.0.2.2',
    });
    await accounts.logout(changed.token, { ip: '192.0.2.3' });
    const entries = (await accounts.listAudit({})).filter((e) => e.action.startsWith('auth.')).reverse();
    expect(entries.map((e) => [e.action, e.target, e.ip])).to.deep.equal([
      ['auth.login-failed', 'email:a@audited.example', '192.0.2.1'],
      ['auth.login', `user:${user.id}`, '192.0.2.1'],
      ['auth.password-changed', `user:${user.id}`, '192.0.2.2'],
      ['auth.logout', `user:${user.id}`, '192.0.2.3'],
    ]);
    // the user's own entries join their organisation's trail
    expect(entries.slice(1).every((e) => e.orgId === org.id)).to.equal(true);
  });

  it('throttles per (account, address) with growing delays, never locking the account out', async () => {
    const org = await accounts.createOrganisation({ name: 'Acme', kind: 'customer' });
    await accounts.createUser({
      orgId: org.id,
      email: 't@acme.example',
      name: 'T',
      role: 'trainee',
      password: 'trainee password',
    });
    for (let i = 0; i < 3; i++)
      await rejects(accounts.login('t@acme.example', 'wrong password', '10.0.0.1'), 'UNAUTHENTICATED');
    // the right password from another address is not delayed by the attacker's failures
    expect((await accounts.login('t@acme.example', 'trainee password', '10.0.0.2')).principal.kind).to.equal(
      'user',
    );
    // from the attacker's address a delay runs, and doubles with each further failure
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      const limited = await rejects(
        accounts.login('T@acme.example', 'trainee password', '10.0.0.1'),
        'RATE_LIMITED',
      );
      const wait = (limited.details as { retryAfterSeconds: number }).retryAfterSeconds;
      waits.push(wait);
      now += wait * 1000;
      await rejects(accounts.login('t@acme.example', 'wrong password', '10.0.0.1'), 'UNAUTHENTICATED');
    }
    expect(waits).to.deep.equal([1, 2, 4, 8]);
    const limited = await rejects(
      accounts.login('t@acme.example', 'trainee password', '10.0.0.1'),
      'RATE_LIMITED',
    );
    expect(limited.message).to.match(/try again in 16 seconds/);
    now += 16_000;
    // the delay always ends: then the right password signs in and forgives the pair
    expect((await accounts.login('t@acme.example', 'trainee password', '10.0.0.1')).principal.kind).to.equal(
      'user',
    );
    await rejects(accounts.login('t@acme.example', 'wrong password', '10.0.0.1'), 'UNAUTHENTICATED');
    // unknown emails fail the same way (and cost a hash)
    await rejects(accounts.login('ghost@acme.example', 'whatever'), 'UNAUTHENTICATED');
  });

  it('throttles one address across emails more loosely, with growing delays', async () => {
    const limited = new AccountService({
      db: database.db,
      clock: () => now,
      passwordCost: 10,
      loginLimits: {
        perAccountAddress: { free: 3, baseDelayMs: 1000, maxDelayMs: 15 * MIN, leakMs: 10 * MIN },
        perAddress: { free: 3, baseDelayMs: 1000, maxDelayMs: MIN, leakMs: MIN },
      },
    });
    for (let i = 0; i < 3; i++)
      await rejects(limited.login(`u${i}@x.example`, 'nope', '10.9.9.9'), 'UNAUTHENTICATED');
    const first = await rejects(limited.login('u9@x.example', 'nope', '10.9.9.9'), 'RATE_LIMITED');
    expect(first.details).to.deep.equal({ retryAfterSeconds: 1 });
    expect(first.message).to.contain('from your address');
    await rejects(limited.login('u9@x.example', 'nope', '10.9.9.8'), 'UNAUTHENTICATED');
    // the same /64 is one IPv6 address; an IPv4-mapped address is its IPv4
    for (let i = 0; i < 3; i++)
      await rejects(limited.login(`v${i}@x.example`, 'nope', `2001:db8:1:2::${i + 1}`), 'UNAUTHENTICATED');
    await rejects(limited.login('v9@x.example', 'nope', '2001:db8:1:2:ffff::9'), 'RATE_LIMITED');
    await rejects(limited.login('v9@x.example', 'nope', '::ffff:10.9.9.9'), 'RATE_LIMITED');
  });

  it('lets only the free allowance of parallel wrong passwords reach scrypt', async () => {
    const org = await accounts.createOrganisation({ name: 'Acme', kind: 'customer' });
    await accounts.createUser({
      orgId: org.id,
      email: 'p@acme.example',
      name: 'P',
      role: 'trainee',
      password: 'parallel password',
    });
    const before = accounts.passwordCheckStats().ran;
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, () => accounts.login('p@acme.example', 'wrong password', '10.1.1.1')),
    );
    const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as CyropError).code : 'OK'));
    expect(codes.filter((c) => c === 'UNAUTHENTICATED')).to.have.length(3);
    expect(codes.filter((c) => c === 'RATE_LIMITED')).to.have.length(57);
    expect(accounts.passwordCheckStats().ran - before).to.equal(3);
  });

  it('refuses emails and names with control characters, naming the field', async () => {
    const org = await accounts.createOrganisation({ name: 'Acme', kind: 'customer' });
    for (const email of [
      'a\u0000b@x.example',
      'a@x.example\u0007',
      'ev\u202eil@x.example',
      'a\u200b@x.example',
    ]) {
      const error = await rejects(
        accounts.createUser({
          orgId: org.id,
          email,
          name: 'N',
          role: 'trainee',
          password: 'long enough password',
        }),
        'BAD_REQUEST',
      );
      expect(error.message).to.match(/^email: /);
      expect(error.details).to.deep.equal({ field: 'email' });
    }
    const named = await rejects(
      accounts.createUser({ orgId: org.id, email: 'n@x.example', name: 'N\u001b[31m', role: 'trainee' }),
      'BAD_REQUEST',
    );
    expect(named.details).to.deep.equal({ field: 'name' });
    // emoji with a zero-width joiner stay allowed in names
    await accounts.createUser({ orgId: org.id, email: 'e@x.example', name: 'Team 👩‍💻', role: 'trainee' });
  });

  it('makes join codes for one team, honours expiry and max uses, and joins as a participant', async () => {
    const org = await accounts.createOrganisation({ name: 'Acme', kind: 'customer' });
    await exercise('ex-1', org.id);
    await rejects(accounts.createJoinCode('ex-1', 'team-9', { createdBy: 'test' }), 'NOT_FOUND');
    const { code } = await accounts.createJoinCode('ex-1', 'team-2', {
      createdBy: 'test',
      maxUses: 2,
      expiresAt: now + 60 * MIN,
    });
    expect(code).to.match(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    const typed = code.toLowerCase().replace(/-/g, ' ');
    expect(normaliseJoinCode(typed)).to.equal(code.replace(/-/g, ''));
    const joined = await accounts.join(typed, '  Mallory ');
    expect(joined.principal).to.deep.equal({
      kind: 'participant',
      exerciseId: 'ex-1',
      teamId: 'team-2',
      name: 'Mallory',
    });
    expect((await accounts.resolveSession(joined.token))?.principal).to.deep.equal(joined.principal);
    const { user } = await accounts.createUser({
      orgId: org.id,
      email: 'bob@acme.example',
      name: 'Bob',
      role: 'trainee',
    });
    const withUser = await accounts.join(code, 'Bob', { userId: user.id });
    expect(withUser.principal).to.include({ userId: user.id, teamId: 'team-2' });
    await rejects(accounts.join(code, 'Eve'), 'NOT_FOUND'); // used up
    const second = await accounts.createJoinCode('ex-1', 'team-1', { createdBy: 'test' });
    now += 25 * 60 * MIN;
    await rejects(accounts.join(second.code, 'Eve'), 'NOT_FOUND'); // expired after 24 h
    await rejects(accounts.join('AAAA-AAAA-AAAA-AAAA', 'Eve'), 'NOT_FOUND');
    await rejects(
      accounts.createJoinCode('ex-1', 'team-1', { createdBy: 't', expiresAt: now - 1 }),
      'BAD_REQUEST',
    );
  });

  it('an ended exercise gives no join codes and takes no joins, with a reason a trainee can read', async () => {
    const org = await accounts.createOrganisation({ name: 'Ended Ltd', kind: 'customer' });
    await exercise('ex-over', org.id);
    const { code } = await accounts.createJoinCode('ex-over', 'team-1', { createdBy: 'test' });
    await database.db.updateTable('exercises').set({ state: 'ended' }).where('id', '=', 'ex-over').execute();
    await rejects(accounts.join(code, 'Late'), 'EXERCISE_ENDED');
    await rejects(accounts.createJoinCode('ex-over', 'team-1', { createdBy: 'test' }), 'EXERCISE_ENDED');
    const used = await database.db
      .selectFrom('join_codes')
      .select('uses')
      .where('exercise_id', '=', 'ex-over')
      .execute();
    expect(used.map((u) => u.uses)).to.deep.equal([0]);
  });

  it('keeps an audit log, scoped by organisation', async () => {
    const a = await accounts.createOrganisation({ name: 'A', kind: 'customer' });
    const b = await accounts.createOrganisation({ name: 'B', kind: 'customer' });
    const actor = { kind: 'user' as const, userId: 'u1', orgId: a.id, role: 'org-admin' as const, name: 'U' };
    await accounts.audit(actor, 'user.created', 'user:x', { email: 'x@a' }, { ip: '127.0.0.1' });
    await accounts.audit('system', 'thing', 'org:b', {}, { orgId: b.id });
    const forA = await accounts.listAudit({ orgId: a.id });
    expect(forA).to.have.length(1);
    expect(forA[0]).to.deep.include({
      actor: 'user:u1',
      action: 'user.created',
      details: { email: 'x@a' },
      ip: '127.0.0.1',
      at: now,
    });
    expect((await accounts.listAudit()).map((e) => e.action)).to.deep.equal(['thing', 'user.created']);
  });
});
