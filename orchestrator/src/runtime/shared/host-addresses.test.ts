import { expect } from 'chai';
import type { AddressBlockInUse } from '../runtime-driver.ts';
import { conflictWith, foreignTo } from './host-addresses.ts';

const inUse: AddressBlockInUse[] = [
  { block: '10.1.0.0/16', owner: 'host route 10.1.0.0/16 dev eth0' },
  {
    block: '10.2.0.0/24',
    owner: "Docker network 'x'",
    environment: { exercise: 'ex', team: 'team-1', installation: 'a' },
  },
  {
    block: '10.3.0.0/24',
    owner: "Docker network 'y'",
    environment: { exercise: 'ex', team: 'team-1', installation: 'b' },
  },
];

describe('host-addresses', () => {
  it('leaves out only the networks of the same environment of the same installation', () => {
    expect(
      foreignTo({ exercise: 'ex', team: 'team-1', installation: 'a' }, inUse).map((u) => u.block),
    ).to.deep.equal(['10.1.0.0/16', '10.3.0.0/24']);
    expect(foreignTo({ exercise: 'ex', team: 'team-2', installation: 'a' }, inUse)).to.have.length(3);
  });

  it('finds the block a subnet overlaps, either way round', () => {
    expect(conflictWith('10.1.5.0/24', inUse)?.owner).to.equal('host route 10.1.0.0/16 dev eth0');
    expect(conflictWith('10.2.0.0/16', inUse)?.block).to.equal('10.2.0.0/24');
    expect(conflictWith('10.4.0.0/24', inUse)).to.equal(undefined);
  });
});
