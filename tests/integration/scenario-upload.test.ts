import { expect } from 'chai';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import type { Principal, Role } from '../../orchestrator/src/access/principal.ts';
import { createApp } from '../../orchestrator/src/api/create-app.ts';
import { compileScenarioFile } from '../../orchestrator/src/scenarios/scenario-folder.ts';
import { ScenarioCatalogue } from '../../orchestrator/src/scenarios/scenario-catalogue.ts';
import { ScenarioLibrary } from '../../orchestrator/src/scenarios/scenario-library.ts';
import { ScenarioUploads } from '../../orchestrator/src/scenarios/scenario-uploads.ts';
import { openDatabase, type OpenedDatabase } from '../../orchestrator/src/store/database.ts';
import { REPO } from './helpers.ts';
import { checkedFetch } from '../response-check.ts';

const EXAMPLE = path.join(REPO, 'tests/fixtures/valid/format-example');
const SHIPPED = path.join(REPO, 'scenarios');
const files = (version = '1.0.0', extra = '', id = 'acme-sqli') => ({
  'scenario.yaml':
    readFileSync(path.join(EXAMPLE, 'scenario.yaml'), 'utf8')
      .replace('version: 1.0.0', `version: ${version}`)
      .replace('id: web-sqli-basics', `id: ${id}`) + extra,
  'files/web-config.ini.hbs': readFileSync(path.join(EXAMPLE, 'files/web-config.ini.hbs'), 'utf8'),
});

/**
 * Scenario uploads, versions and ownership through the API on a real store: every upload is private
 * to its organisation, shipped ids and other organisations' ids cannot be taken, archive hides a
 * version from launch, and publication needs the operator.
 */
describe('scenario upload, versions and ownership (API)', function () {
  this.timeout(30_000);
  let dir: string;
  let database: OpenedDatabase;
  let server: Server;
  let base: string;
  let library: ScenarioLibrary;
  let accounts: AccountService;
  const who: Record<string, Principal> = {};
  let orgAId = '';

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-upload-'));
    database = await openDatabase(dir);
    accounts = new AccountService({ db: database.db, passwordCost: 10 });
    await accounts.ensureFirstOperator();
    const operatorOrg = (await accounts.listOrganisations()).find((o) => o.kind === 'operator')!;
    const orgA = await accounts.createOrganisation({ name: 'Acme Training', kind: 'training-company' });
    const orgB = await accounts.createOrganisation({ name: 'Beta Training', kind: 'training-company' });
    orgAId = orgA.id;
    const user = (userId: string, orgId: string, role: Role) =>
      ({ kind: 'user', userId, orgId, role, name: userId }) as Principal;
    who.operator = user('op', operatorOrg.id, 'operator');
    who.adminA = user('admin-a', orgA.id, 'org-admin');
    who.instA = user('inst-a', orgA.id, 'instructor');
    who.instB = user('inst-b', orgB.id, 'instructor');
    who.adminB = user('admin-b', orgB.id, 'org-admin');
    who.traineeA = user('trainee-a', orgA.id, 'trainee');
    library = await new ScenarioLibrary({
      db: database.db,
      catalogue: new ScenarioCatalogue(SHIPPED, undefined, path.join(dir, 'scenarios')).load(),
      uploads: new ScenarioUploads(path.join(dir, 'scenarios')),
      audit: (actor, action, target, details, context) =>
        accounts.audit(actor, action, target, details, context),
    }).init();
    const app = createApp({
      scenarios: library,
      logger: pino({ level: 'silent' }),
      authenticate: (req) => {
        const name = req.headers['x-who'];
        return Promise.resolve(typeof name === 'string' ? who[name] : undefined);
      },
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.close();
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (method: string, url: string, as?: string, body?: unknown) => {
    const res = await checkedFetch(base + url, {
      method,
      headers: { 'content-type': 'application/json', ...(as ? { 'x-who': as } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return {
      status: res.status,
      body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } },
    };
  };
  const ids = async (as?: string) =>
    ((await call('GET', '/api/scenarios', as)).body.scenarios as { id: string; version: string }[]).map(
      (s) => `${s.id}@${s.version}`,
    );

  it('validates without storing, naming file, line and field', async () => {
    const r = await call('POST', '/api/scenarios/validate', 'instA', {
      files: { ...files(), 'scenario.yaml': files()['scenario.yaml'].replace('points: 50', 'points: fifty') },
    });
    expect(r.status).to.equal(200);
    expect(r.body.valid).to.equal(false);
    expect(r.body.diagnostics).to.deep.include.members([
      {
        severity: 'error',
        rule: 'schema.type',
        file: 'scenario.yaml',
        line: 56,
        column: 13,
        pointer: '/objectives/0/points',
        message: 'must be an integer (got "fifty")',
      },
    ]);
    expect(await ids('instA')).not.to.include('acme-sqli@1.0.0');
  });

  it('stores a version once, privately; the same files again change nothing; other files need a new version', async () => {
    const first = await call('POST', '/api/scenarios', 'instA', { files: files() });
    expect(first.status, JSON.stringify(first.body)).to.equal(201);
    expect(first.body).to.include({
      id: 'acme-sqli',
      version: '1.0.0',
      publication: 'private',
      archived: false,
    });
    expect(first.body.contentHash).to.match(/^[0-9a-f]{64}$/);
    expect((await call('POST', '/api/scenarios', 'instA', { files: files() })).status).to.equal(200);
    const changed = await call('POST', '/api/scenarios', 'instA', { files: files('1.0.0', '# a comment\n') });
    expect(changed.status).to.equal(409);
    expect(changed.body.error?.message).to.contain('raise metadata.version');
    expect(
      (await call('POST', '/api/scenarios', 'adminA', { files: files('1.1.0', '# a comment\n') })).status,
    ).to.equal(201);
    const versions = await call('GET', '/api/scenarios/acme-sqli/versions', 'instA');
    expect((versions.body.versions as { version: string }[]).map((v) => v.version)).to.deep.equal([
      '1.1.0',
      '1.0.0',
    ]);
    expect(await ids('instA'))
      .to.include('acme-sqli@1.1.0')
      .and.not.include('acme-sqli@1.0.0');
    const audit = await accounts.listAudit({ orgId: orgAId });
    expect(
      audit
        .filter((e) => e.action === 'scenario.upload')
        .map((e) => e.target)
        .sort(),
    ).to.deep.equal(['acme-sqli@1.0.0', 'acme-sqli@1.1.0']);
  });

  it('is invisible to other organisations and to anonymous callers: 404, never 403, and not in any list', async () => {
    for (const as of [undefined, 'instB', 'adminB', 'traineeA']) {
      expect(await ids(as), String(as)).not.to.include('acme-sqli@1.1.0');
      for (const url of [
        '/api/scenarios/acme-sqli',
        '/api/scenarios/acme-sqli?version=1.0.0',
        '/api/scenarios/acme-sqli/versions',
      ])
        expect((await call('GET', url, as)).status, `${String(as)} ${url}`).to.equal(404);
      expect(() => library.forLaunch(as ? who[as] : undefined, 'acme-sqli')).to.throw(
        /no scenario 'acme-sqli'/,
      );
    }
    for (const action of ['archive', 'restore', 'publication'])
      expect(
        (await call('POST', `/api/scenarios/acme-sqli/versions/1.0.0/${action}`, 'instB', {})).status,
        action,
      ).to.equal(404);
    expect((await call('GET', '/api/scenarios/acme-sqli', 'operator')).status).to.equal(200);
  });

  it("refuses an upload that takes a shipped id or another organisation's id; the shipped content is what every launch plans from", async () => {
    // The attack: B uploads a higher version of the shipped web-sqli-pivot.
    const attack = await call('POST', '/api/scenarios', 'instB', {
      files: files('9.9.9', '', 'web-sqli-pivot'),
    });
    expect(attack.status).to.equal(409);
    expect(attack.body.error?.message).to.contain('shipped scenario');
    const taken = await call('POST', '/api/scenarios', 'instB', { files: files('9.9.9') });
    expect(taken.status).to.equal(409);
    expect(taken.body.error?.message).to.equal(
      "the scenario id 'acme-sqli' is not available: choose another metadata.id",
    );
    expect(taken.body.error?.message).not.to.contain('Acme');
    const shippedHash = compileScenarioFile(path.join(SHIPPED, 'web-sqli-pivot/scenario.yaml')).compiled
      ?.sourceHash;
    for (const as of ['instA', 'instB', 'operator']) {
      const { entry, file } = library.forLaunch(who[as], 'web-sqli-pivot');
      expect(entry.version).to.equal('1.1.0');
      expect(entry.contentHash).to.equal(shippedHash);
      expect(file).to.equal(path.join(SHIPPED, 'web-sqli-pivot/scenario.yaml'));
    }
    expect(
      (await call('POST', '/api/scenarios/web-sqli-pivot/versions/1.1.0/archive', 'operator')).status,
    ).to.equal(403);
  });

  it('anonymous callers get catalogue cards: no objective titles, hosts or diagnostics', async () => {
    const r = await call('GET', '/api/scenarios');
    const card = (r.body.scenarios as Record<string, unknown>[]).find((s) => s.id === 'web-sqli-pivot')!;
    expect(Object.keys(card)).to.include.members([
      'id',
      'version',
      'title',
      'category',
      'objectives',
      'points',
    ]);
    expect(card).not.to.have.any.keys('hosts', 'diagnostics', 'file', 'competencyCheck');
    expect(card.objectives).to.be.a('number');
    expect(r.body.invalid).to.deep.equal([]);
    const staff = (await call('GET', '/api/scenarios', 'instA')).body.scenarios as Record<string, unknown>[];
    expect(staff.find((s) => s.id === 'web-sqli-pivot')).to.have.property('hosts');
  });

  it('archive hides a version from launch and lists (its owners still see it); restore offers it again', async () => {
    const archived = await call('POST', '/api/scenarios/acme-sqli/versions/1.1.0/archive', 'instA');
    expect(archived.status).to.equal(200);
    expect(archived.body.archived).to.equal(true);
    expect(await ids('instA')).to.include('acme-sqli@1.0.0');
    expect(library.forLaunch(who.instA, 'acme-sqli').entry.version).to.equal('1.0.0');
    expect(() => library.forLaunch(who.instA, 'acme-sqli', '1.1.0')).to.throw(/archived/);
    const versions = await call('GET', '/api/scenarios/acme-sqli/versions', 'instA');
    expect((versions.body.versions as { archived: boolean }[]).map((v) => v.archived)).to.deep.equal([
      true,
      false,
    ]);
    expect(
      (await call('POST', '/api/scenarios/acme-sqli/versions/1.1.0/restore', 'adminA')).body.archived,
    ).to.equal(false);
    expect(library.forLaunch(who.instA, 'acme-sqli').entry.version).to.equal('1.1.0');
  });

  it('publication: the org-admin requests, the operator approves; then every organisation may use it', async () => {
    expect(
      (await call('POST', '/api/scenarios/acme-sqli/versions/1.1.0/publication', 'instA', {})).status,
    ).to.equal(403);
    const requested = await call('POST', '/api/scenarios/acme-sqli/versions/1.1.0/publication', 'adminA', {
      note: 'for everyone',
    });
    expect(requested.status).to.equal(200);
    expect(requested.body.publication).to.equal('requested');
    expect(await ids('instB')).not.to.include('acme-sqli@1.1.0');
    expect((await call('GET', '/api/scenario-publications', 'adminA')).status).to.equal(403);
    const queue = await call('GET', '/api/scenario-publications', 'operator');
    expect(queue.body.requests).to.have.length(1);
    expect((queue.body.requests as { id: string; note: string }[])[0]).to.include({
      id: 'acme-sqli',
      note: 'for everyone',
    });
    expect(
      (
        await call('POST', '/api/scenarios/acme-sqli/versions/1.1.0/publication/decision', 'adminA', {
          approve: true,
        })
      ).status,
    ).to.equal(403);
    const approved = await call(
      'POST',
      '/api/scenarios/acme-sqli/versions/1.1.0/publication/decision',
      'operator',
      { approve: true },
    );
    expect(approved.status).to.equal(200);
    expect(approved.body.publication).to.equal('published');
    expect(await ids('instB')).to.include('acme-sqli@1.1.0');
    expect(await ids()).to.include('acme-sqli@1.1.0');
    expect(library.forLaunch(who.instB, 'acme-sqli').entry.version).to.equal('1.1.0');
    // 1.0.0 stays private; B still may not upload the id, nor archive A's version.
    expect((await call('GET', '/api/scenarios/acme-sqli?version=1.0.0', 'instB')).status).to.equal(404);
    expect((await call('POST', '/api/scenarios', 'instB', { files: files('2.0.0') })).status).to.equal(409);
    expect((await call('POST', '/api/scenarios/acme-sqli/versions/1.1.0/archive', 'instB')).status).to.equal(
      403,
    );
    const actions = (await accounts.listAudit({})).map((e) => e.action);
    expect(actions).to.include.members([
      'scenario.publication.requested',
      'scenario.publication.published',
      'scenario.archive',
      'scenario.restore',
    ]);
  });

  it('refuses invalid scenarios (422 with diagnostics), unsafe file names, and callers who are not staff', async () => {
    const invalid = await call('POST', '/api/scenarios', 'instA', {
      files: { 'scenario.yaml': 'apiVersion: cyrop/v1\n' },
    });
    expect(invalid.status).to.equal(422);
    expect(invalid.body.error?.code).to.equal('SCENARIO_INVALID');
    expect((invalid.body.error as unknown as { details: unknown[] }).details.length).to.be.greaterThan(0);
    for (const name of ['../escape.txt', '/etc/passwd', 'files/../../x', 'a\\b']) {
      const r = await call('POST', '/api/scenarios', 'instA', { files: { ...files('2.0.0'), [name]: 'x' } });
      expect(r.status, name).to.equal(400);
    }
    expect((await call('POST', '/api/scenarios', undefined, { files: files('3.0.0') })).status).to.equal(401);
    expect((await call('POST', '/api/scenarios', 'traineeA', { files: files('3.0.0') })).status).to.equal(
      403,
    );
  });
});

describe('scenario ownership: a data directory of the previous release', function () {
  this.timeout(30_000);
  it('gives its uploads to the operator, privately; an upload of a shipped id is archived and the shipped one wins', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-upload-migrate-'));
    try {
      // What 0.1.0 left: uploads under <data>/scenarios/<id>/<version>/ and no owner rows.
      const uploads = path.join(dir, 'scenarios');
      cpSync(EXAMPLE, path.join(uploads, 'web-sqli-basics/1.0.0'), { recursive: true });
      const hijack = path.join(uploads, 'web-sqli-pivot/9.9.9');
      cpSync(path.join(SHIPPED, 'web-sqli-pivot'), hijack, { recursive: true });
      const yaml = readFileSync(path.join(hijack, 'scenario.yaml'), 'utf8').replace(
        /^ {2}version: .*$/m,
        '  version: 9.9.9',
      );
      writeFileSync(path.join(hijack, 'scenario.yaml'), yaml);
      const database = await openDatabase(dir);
      try {
        const accounts = new AccountService({ db: database.db, passwordCost: 10 });
        await accounts.ensureFirstOperator();
        const operatorOrg = (await accounts.listOrganisations()).find((o) => o.kind === 'operator')!;
        const open = () =>
          new ScenarioLibrary({
            db: database.db,
            catalogue: new ScenarioCatalogue(SHIPPED, undefined, uploads).load(),
            uploads: new ScenarioUploads(uploads),
          }).init();
        const library = await open();
        await open(); // a second start adopts nothing twice
        const operator: Principal = {
          kind: 'user',
          userId: 'op',
          orgId: operatorOrg.id,
          role: 'operator',
          name: 'op',
        };
        const stranger: Principal = {
          kind: 'user',
          userId: 'x',
          orgId: 'other',
          role: 'instructor',
          name: 'x',
        };
        expect(library.get(operator, 'web-sqli-basics')).to.include({
          ownerOrgId: operatorOrg.id,
          publication: 'private',
        });
        expect(() => library.get(stranger, 'web-sqli-basics')).to.throw(/no scenario/);
        expect(library.forLaunch(stranger, 'web-sqli-pivot').entry).to.include({
          version: '1.1.0',
          shipped: true,
        });
        expect(library.forLaunch(operator, 'web-sqli-pivot').entry).to.include({
          version: '1.1.0',
          shipped: true,
        });
        expect(library.get(operator, 'web-sqli-pivot', '9.9.9')).to.include({
          archived: true,
          ownerOrgId: operatorOrg.id,
        });
        const rows = await database.db
          .selectFrom('scenario_versions')
          .select(['scenario_id', 'version'])
          .execute();
        expect(rows).to.have.length(2);
      } finally {
        await database.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
