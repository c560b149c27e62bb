import { expect } from 'chai';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScenarioCatalogue } from './scenario-catalogue.ts';

const SHIPPED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../scenarios');

describe('ScenarioCatalogue', () => {
  it('marks as forgeable exactly the check objectives that run on a host the trainee controls', () => {
    const catalogue = new ScenarioCatalogue(SHIPPED).load();
    const forgeable = catalogue
      .list()
      .flatMap((s) => s.objectives.filter((o) => o.forgeable).map((o) => `${s.id}/${o.id}`));
    // its only host is the trainee's workstation: no other host could run the check
    expect(forgeable).to.deep.equal(['usb-leak-forensics/evidence-hash']);
    const checks = catalogue.list().flatMap((s) => s.objectives.filter((o) => o.kind === 'check'));
    expect(checks.length).to.be.greaterThan(1);
  });
});
