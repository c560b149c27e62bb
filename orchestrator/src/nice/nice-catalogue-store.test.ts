import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CyropError } from '../errors.ts';
import { findStatement, findWorkRole, type NiceFramework } from './nice-catalogue.ts';
import { NiceCatalogueStore } from './nice-catalogue-store.ts';
import { niceTestData } from './nice-test-data.ts';

async function rejection(promise: Promise<unknown>): Promise<CyropError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(CyropError);
    return error as CyropError;
  }
  throw new Error('expected a rejection');
}

describe('NiceCatalogueStore', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-nice-'));
  });

  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts empty', async () => {
    const store = new NiceCatalogueStore(dataDir);
    expect(await store.list()).to.deep.equal([]);
    expect(await store.load('nice-2.1.0')).to.be.undefined;
    const missing = await rejection(store.loadRequired('nice-2.1.0'));
    expect(missing.code).to.equal('NICE_CATALOGUE_MISSING');
    expect(missing.message).to.include('no NICE Framework catalogue for nice-2.1.0 has been imported');
  });

  it('imports the real files, stores them and loads them back in a fresh store', async () => {
    const store = new NiceCatalogueStore(dataDir);
    const v210 = await store.import(niceTestData.path('v210'));
    expect(v210).to.deep.equal({
      framework: 'nice-2.1.0',
      sourceVersion: '2.1.0',
      sourceName: 'nice_v2.1.0_cprt_SP_800_181_2_1_0.json',
      storedPath: path.join(dataDir, 'nice', 'nice-2.1.0.json'),
      categories: 5,
      workRoles: 41,
      competencyAreas: 11,
      statements: { task: 946, knowledge: 662, skill: 540, ability: 0 },
      links: { task: 1429, knowledge: 2857, skill: 1048, ability: 0 },
      warnings: [],
    });
    const v200 = await store.import(niceTestData.path('v200'));
    expect(v200.warnings).to.have.length(4);
    expect(v200.statements).to.deep.equal({ task: 942, knowledge: 631, skill: 538, ability: 0 });
    const rev0 = await store.import(niceTestData.path('rev0'));
    expect(rev0.framework).to.equal('nice-sp800-181r0');
    expect(rev0.workRoles).to.equal(52);
    expect(rev0.statements).to.deep.equal({ task: 1006, knowledge: 630, skill: 374, ability: 176 });

    // only the final files remain: no temporary files left behind
    expect(readdirSync(path.join(dataDir, 'nice')).sort()).to.deep.equal([
      'nice-2.0.0.json',
      'nice-2.1.0.json',
      'nice-sp800-181r0.json',
    ]);

    const fresh = new NiceCatalogueStore(dataDir);
    expect(await fresh.list()).to.deep.equal(['nice-sp800-181r0', 'nice-2.0.0', 'nice-2.1.0']);
    const loaded = await fresh.load('nice-2.1.0');
    expect(loaded).to.deep.equal(niceTestData.catalogue('v210'));
    expect(findStatement(loaded!, 'K0018')?.text).to.equal('Knowledge of encryption algorithms');
    expect(await fresh.load('nice-2.1.0')).to.equal(loaded); // cached: the same object
    expect(findWorkRole((await fresh.load('nice-sp800-181r0'))!, 'PR-CDA-001')?.name).to.equal(
      'Cyber Defense Analyst',
    );
    expect(await fresh.load('nice-1.0.0')).to.be.undefined;
  });

  it('replaces a catalogue on re-import', async () => {
    const store = new NiceCatalogueStore(dataDir);
    const source = path.join(dataDir, 'tiny.json');
    const tiny = (name: string): string =>
      JSON.stringify({
        documents: [{ version: '2.1.0' }],
        elements: [{ element_type: 'work_role', element_identifier: 'PD-WRL-001', title: name, text: '' }],
        relationships: [],
      });
    writeFileSync(source, tiny('First'));
    await store.import(source);
    expect((await store.load('nice-2.1.0'))?.workRoles[0]?.name).to.equal('First');
    writeFileSync(source, tiny('Second'));
    await store.import(source);
    expect((await store.load('nice-2.1.0'))?.workRoles[0]?.name).to.equal('Second');
    expect((await new NiceCatalogueStore(dataDir).load('nice-2.1.0'))?.workRoles[0]?.name).to.equal('Second');
  });

  it('names the file when it cannot be read or is not JSON', async () => {
    const store = new NiceCatalogueStore(dataDir);
    const missingFile = path.join(dataDir, 'nope.json');
    const missing = await rejection(store.import(missingFile));
    expect(missing.code).to.equal('IO_ERROR');
    expect(missing.message).to.include(`cannot read NICE Framework file ${missingFile}`);
    expect((await rejection(store.import(dataDir))).code).to.equal('IO_ERROR');

    const notJson = path.join(dataDir, 'broken.json');
    writeFileSync(notJson, '{"documents": [');
    const parse = await rejection(store.import(notJson));
    expect(parse.code).to.equal('NICE_FORMAT_UNKNOWN');
    expect(parse.message).to.include(`${notJson} is not valid JSON`);

    const wrongShape = path.join(dataDir, 'list.json');
    writeFileSync(wrongShape, '\uFEFF[1, 2, 3]');
    const shape = await rejection(store.import(wrongShape));
    expect(shape.code).to.equal('NICE_FORMAT_UNKNOWN');
    expect(shape.message)
      .to.include('list.json: not a NICE Framework file')
      .and.include('found an array (3 items)');
    expect(await store.list()).to.deep.equal([]);
  });

  it('reports a corrupt stored catalogue, naming the file', async () => {
    const stored = path.join(dataDir, 'nice', 'nice-2.0.0.json');
    mkdirSync(path.dirname(stored), { recursive: true });
    const store = new NiceCatalogueStore(dataDir);

    writeFileSync(stored, '{"format":');
    const truncated = await rejection(store.load('nice-2.0.0'));
    expect(truncated.code).to.equal('IO_ERROR');
    expect(truncated.message).to.include(`stored NICE catalogue ${stored} is corrupt (not valid JSON`);

    await store.import(niceTestData.path('v200'));
    const good = JSON.parse(readFileSync(stored, 'utf8')) as { catalogue: { workRoles: unknown[] } };
    good.catalogue.workRoles[3] = { id: 'PD-WRL-001' };
    writeFileSync(stored, JSON.stringify(good));
    const malformed = await rejection(new NiceCatalogueStore(dataDir).load('nice-2.0.0'));
    expect(malformed.code).to.equal('IO_ERROR');
    expect(malformed.message).to.include(`${stored} is corrupt (catalogue.workRoles[3] is malformed)`);

    writeFileSync(path.join(dataDir, 'nice', 'nice-2.1.0.json'), readFileSync(stored));
    const misplaced = await rejection(new NiceCatalogueStore(dataDir).load('nice-2.1.0'));
    expect(misplaced.message).to.include('it holds "nice-2.0.0", not nice-2.1.0');
  });

  it('refuses framework names outside the supported list', async () => {
    const store = new NiceCatalogueStore(dataDir);
    const error = await rejection(store.load('../../etc/passwd' as NiceFramework));
    expect(error.code).to.equal('BAD_REQUEST');
    expect(error.message).to.include('expected one of nice-sp800-181r0, nice-1.0.0, nice-2.0.0, nice-2.1.0');
  });
});
