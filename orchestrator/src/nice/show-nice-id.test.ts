import { expect } from 'chai';
import { CyropError } from '../errors.ts';
import type { NiceCatalogue, NiceFramework } from './nice-catalogue.ts';
import type { NiceCatalogueSource } from './nice-catalogue-store.ts';
import { niceTestData } from './nice-test-data.ts';
import { formatNiceIdInfo, showNiceId } from './show-nice-id.ts';

/** An in-memory source over the real catalogues (the store itself is tested on disk elsewhere). */
function sourceOf(...catalogues: NiceCatalogue[]): NiceCatalogueSource {
  const byFramework = new Map<NiceFramework, NiceCatalogue>(catalogues.map((c) => [c.framework, c]));
  return {
    list: () => Promise.resolve([...byFramework.keys()]),
    load: (framework) => Promise.resolve(byFramework.get(framework)),
  };
}

async function rejection(promise: Promise<unknown>): Promise<CyropError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(CyropError);
    return error as CyropError;
  }
  throw new Error('expected a rejection');
}

describe('showNiceId', () => {
  const all = (): NiceCatalogueSource =>
    sourceOf(niceTestData.catalogue('rev0'), niceTestData.catalogue('v200'), niceTestData.catalogue('v210'));

  it('describes a 2017 work role with its statement counts', async () => {
    const [info, ...rest] = await showNiceId(all(), 'PR-CDA-001');
    expect(rest).to.deep.equal([]);
    expect(info?.kind).to.equal('workRole');
    if (info?.kind !== 'workRole') return;
    expect(info.framework).to.equal('nice-sp800-181r0');
    expect(info.workRole.name).to.equal('Cyber Defense Analyst');
    expect(info.category?.name).to.equal('Protect and Defend');
    expect(info.counts).to.deep.equal({ task: 34, knowledge: 70, skill: 15, ability: 6 });
    const text = formatNiceIdInfo(info);
    expect(text).to.include('PR-CDA-001  work role in nice-sp800-181r0');
    expect(text).to.include('statements: 34 tasks, 70 knowledge, 15 skills, 6 abilities');
  });

  it('finds an id in every stored framework that has it, or only in the one asked for', async () => {
    const everywhere = await showNiceId(all(), 'K0018');
    expect(everywhere.map((i) => i.framework)).to.deep.equal([
      'nice-sp800-181r0',
      'nice-2.0.0',
      'nice-2.1.0',
    ]);
    const [v210] = await showNiceId(all(), 'k0018 ', 'nice-2.1.0');
    expect(v210?.kind).to.equal('statement');
    if (v210?.kind !== 'statement') return;
    expect(v210.statement).to.deep.equal({
      id: 'K0018',
      type: 'knowledge',
      text: 'Knowledge of encryption algorithms',
    });
    expect(v210.workRoles.length).to.be.greaterThan(0);
    expect(formatNiceIdInfo(v210)).to.include('K0018  knowledge statement in nice-2.1.0');
  });

  it('describes competency areas and categories', async () => {
    const [area] = await showNiceId(all(), 'NF-COM-007', 'nice-2.0.0');
    expect(area?.kind).to.equal('competencyArea');
    if (area?.kind === 'competencyArea') {
      expect(area.competencyArea.name).to.equal('Cyber Resiliency');
      expect(area.counts).to.deep.equal({ task: 0, knowledge: 56, skill: 67, ability: 0 });
    }
    const [category] = await showNiceId(all(), 'PD', 'nice-2.1.0');
    expect(category?.kind === 'category' ? category.workRoles : []).to.include('PD-WRL-001');
  });

  it('throws NOT_FOUND with the closest ids of each searched framework', async () => {
    const error = await rejection(showNiceId(all(), 'K9999'));
    expect(error.code).to.equal('NOT_FOUND');
    expect(error.message).to.equal(
      'unknown NICE id "K9999" in nice-sp800-181r0, nice-2.0.0, nice-2.1.0 ' +
        '(closest in nice-sp800-181r0: K0099, K0199, K0299; in nice-2.0.0: K0999, K0699, K0799; ' +
        'in nice-2.1.0: K0999, K0699, K0799)',
    );
    const one = await rejection(showNiceId(all(), 'PD-WRL-099', 'nice-2.1.0'));
    expect(one.message).to.include('closest in nice-2.1.0: PD-WRL-001, PD-WRL-002, PD-WRL-003');
  });

  it('throws NICE_CATALOGUE_MISSING when nothing (or not that version) is imported', async () => {
    expect((await rejection(showNiceId(sourceOf(), 'K0018'))).code).to.equal('NICE_CATALOGUE_MISSING');
    const error = await rejection(
      showNiceId(sourceOf(niceTestData.catalogue('v210')), 'K0018', 'nice-1.0.0'),
    );
    expect(error.code).to.equal('NICE_CATALOGUE_MISSING');
    expect(error.message).to.include('nice-1.0.0');
  });
});
