import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { openDatabase } from '../../orchestrator/src/store/database.ts';
import { cyrop, REPO, tinyScenario } from './helpers.ts';

/**
 * `cyrop org|user|scenario …` against a data directory, as a set-up script would run them: every
 * command in JSON and in text, the same rules as the API (errors name the field), audit entries by
 * `system:cli`, and what the CLI made is what a signed-in user then finds.
 */
describe('cyrop CLI: organisations, users and scenarios in the data directory', function () {
  this.timeout(120_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the shape it expects
  const json = <T>(args: string[]): T => {
    const r = cyrop([...args, '--format', 'json'], env);
    expect(r.status, `cyrop ${args.join(' ')}: ${r.stderr}`).to.equal(0);
    return JSON.parse(r.stdout) as T;
  };

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-admin-cli-'));
    env = {
      CYROP_DATA_DIR: path.join(dir, 'data'),
      CYROP_SCENARIOS_DIR: path.join(REPO, 'tests/fixtures/valid'),
    };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  let orgId = '';
  let userId = '';
  let password = '';

  it('creates and lists organisations; on a new data directory it prints the first operator once', () => {
    const first = cyrop(['org', 'list', '--format', 'json'], env);
    expect(first.status, first.stderr).to.equal(0);
    expect(first.stderr).to.match(/sign in as admin@localhost with the one-time password \S+/);
    expect((JSON.parse(first.stdout) as { kind: string }[]).map((o) => o.kind)).to.deep.equal(['operator']);

    const bad = cyrop(
      ['org', 'create', '--name', 'Acme', '--kind', 'customer', '--invoice-number', 'T123'],
      env,
    );
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.equal(
      'cyrop: BAD_REQUEST: invoiceRegistrationNumber: must be T followed by 13 digits\n',
    );

    const created = json<{ id: string; category: string; invoiceRegistrationNumber: string }>([
      'org',
      'create',
      '--name',
      '北海道サイバー協会',
      '--kind',
      'customer',
      '--category',
      'general-incorporated-association',
      '--invoice-number',
      'T9234567890123',
    ]);
    expect(created).to.deep.include({
      category: 'general-incorporated-association',
      invoiceRegistrationNumber: 'T9234567890123',
    });
    orgId = created.id;
    const text = cyrop(['org', 'list'], env);
    expect(text.stdout).to.contain('北海道サイバー協会');
    expect(text.stderr).to.equal('');
  });

  it('creates a user with a one-time password, resets it, disables and enables the user', async () => {
    const made = json<{ user: { id: string; role: string }; oneTimePassword: string }>([
      'user',
      'create',
      '--org',
      orgId,
      '--email',
      'Admin@Hokkaido.example',
      '--name',
      '管理者',
      '--role',
      'org-admin',
    ]);
    expect(made.user.role).to.equal('org-admin');
    expect(made.oneTimePassword).to.be.a('string');
    userId = made.user.id;
    const wrongRole = cyrop(
      ['user', 'create', '--org', orgId, '--email', 'x@example.com', '--name', 'x', '--role', 'operator'],
      env,
    );
    expect(wrongRole.status).to.equal(2);
    expect(wrongRole.stderr).to.contain(
      'role: a customer organisation may have the roles org-admin, instructor, trainee',
    );

    const reset = json<{ oneTimePassword: string }>(['user', 'reset-password', 'admin@hokkaido.example']);
    expect(reset.oneTimePassword).not.to.equal(made.oneTimePassword);
    password = reset.oneTimePassword;
    const disabled = json<{ disabled: boolean }>(['user', 'disable', userId]);
    expect(disabled.disabled).to.equal(true);
    const listed = json<{ id: string; disabled: boolean }[]>(['user', 'list', '--org', orgId]);
    expect(listed).to.have.length(1);
    expect(listed[0]!.disabled).to.equal(true);
    expect(json<{ disabled: boolean }>(['user', 'disable', userId, '--enable']).disabled).to.equal(false);

    // what the CLI made is what the platform then finds: the reset password signs in, to be changed
    const database = await openDatabase(env.CYROP_DATA_DIR!);
    try {
      const accounts = new AccountService({ db: database.db });
      const grant = await accounts.login('admin@hokkaido.example', reset.oneTimePassword);
      expect(grant.mustChangePassword).to.equal(true);
      const actions = (await accounts.listAudit({ actor: 'system:cli' })).map((e) => e.action);
      expect(actions).to.include.members([
        'organisation.created',
        'user.created',
        'user.password-reset',
        'user.disabled',
        'user.enabled',
      ]);
    } finally {
      await database.close();
    }
    const missing = cyrop(['user', 'disable', 'nobody@example.com'], env);
    expect(missing.status).to.equal(2);
    expect(missing.stderr).to.equal("cyrop: NOT_FOUND: no user 'nobody@example.com'\n");
  });

  it('uploads a folder for an organisation, archives, restores and publishes it; refuses a shipped id', async () => {
    const folder = path.join(dir, 'tiny');
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'scenario.yaml'), tinyScenario('cli-tiny'));
    const up = json<{ id: string; ownerOrgId: string; publication: string; created: boolean }>([
      'scenario',
      'upload',
      folder,
      '--org',
      orgId,
    ]);
    expect(up).to.deep.include({ id: 'cli-tiny', ownerOrgId: orgId, publication: 'private', created: true });
    expect(json<{ created: boolean }>(['scenario', 'upload', folder, '--org', orgId]).created).to.equal(
      false,
    );
    expect(json<{ archived: boolean }>(['scenario', 'archive', 'cli-tiny@1.0.0']).archived).to.equal(true);
    expect(
      json<{ archived: boolean }>(['scenario', 'archive', 'cli-tiny@1.0.0', '--restore']).archived,
    ).to.equal(false);
    expect(json<{ publication: string }>(['scenario', 'publish', 'cli-tiny@1.0.0']).publication).to.equal(
      'published',
    );
    const mine = json<{ id: string }[]>(['scenario', 'list', '--org', orgId]);
    expect(mine.map((s) => s.id)).to.deep.equal(['cli-tiny']);
    const all = json<{ id: string; shipped: boolean }[]>(['scenario', 'list']);
    expect(all.map((s) => `${s.id}:${s.shipped}`)).to.include.members([
      'cli-tiny:false',
      'web-sqli-basics:true',
    ]);

    writeFileSync(path.join(folder, 'scenario.yaml'), tinyScenario('web-sqli-basics'));
    const shipped = cyrop(['scenario', 'upload', folder, '--org', orgId], env);
    expect(shipped.status).to.equal(2);
    expect(shipped.stderr).to.contain("'web-sqli-basics' is the id of a shipped scenario");
    writeFileSync(
      path.join(folder, 'scenario.yaml'),
      tinyScenario('cli-broken').replace('points: 10', 'points: -1'),
    );
    const invalid = cyrop(['scenario', 'upload', folder, '--org', orgId], env);
    expect(invalid.status).to.equal(1);
    expect(invalid.stdout).to.match(/scenario\.yaml:\d+:\d+ {2}\/objectives\/0\/points {2}must be >= 0/);

    const database = await openDatabase(env.CYROP_DATA_DIR!);
    try {
      const entries = await new AccountService({ db: database.db }).listAudit({ actionPrefix: 'scenario.' });
      expect(entries.map((e) => `${e.actor} ${e.action}`)).to.include.members([
        'system:cli scenario.upload',
        'system:cli scenario.archive',
        'system:cli scenario.restore',
        'system:cli scenario.publication.published',
      ]);
    } finally {
      await database.close();
    }
  });

  it('disables an organisation: its users cannot sign in', async () => {
    expect(json<{ disabled: boolean }>(['org', 'disable', orgId]).disabled).to.equal(true);
    const database = await openDatabase(env.CYROP_DATA_DIR!);
    try {
      const accounts = new AccountService({ db: database.db });
      const user = (await accounts.listEveryUser()).find((u) => u.id === userId)!;
      expect(user.disabled, 'the user is not disabled: the organisation is').to.equal(false);
      expect(await accounts.verifyPassword('admin@hokkaido.example', password)).to.equal(undefined);
    } finally {
      await database.close();
    }
    const operatorOrg = json<{ id: string; kind: string }[]>(['org', 'list']).find(
      (o) => o.kind === 'operator',
    )!;
    const refused = cyrop(['org', 'disable', operatorOrg.id], env);
    expect(refused.status).to.equal(2);
    expect(refused.stderr).to.equal(
      'cyrop: CONFLICT: the platform operator organisation cannot be disabled\n',
    );
  });
});
