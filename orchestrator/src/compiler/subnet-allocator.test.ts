import { expect } from 'chai';
import { CyropError } from '../errors.ts';
import { overlaps, parseCidr, type Cidr } from './ipv4.ts';
import { allocateSubnets, hostRange, prefixFor } from './subnet-allocator.ts';

const cidr = (text: string): Cidr => {
  const parsed = parseCidr(text);
  if (!parsed.cidr) throw new Error(`bad test CIDR ${text}`);
  return parsed.cidr;
};

describe('subnet allocator', () => {
  it('gives every team its own non-overlapping subnets from the pool', () => {
    const needs = [
      { name: 'dmz', hosts: 3 },
      { name: 'corp', hosts: 2 },
      { name: 'mgmt', hosts: 1 },
    ];
    const result = allocateSubnets(needs, 40, { pool: '10.200.0.0/16' });
    const blocks = result.flat().map((a) => cidr(a.subnet));
    expect(blocks).to.have.length(120);
    const pool = cidr('10.200.0.0/16');
    for (let i = 0; i < blocks.length; i++) {
      expect(overlaps(blocks[i]!, pool)).to.equal(true);
      for (let j = i + 1; j < blocks.length; j++)
        expect(overlaps(blocks[i]!, blocks[j]!), `${i} vs ${j}`).to.equal(false);
    }
    expect(result[0]![0]).to.deep.equal({
      network: 'dmz',
      subnet: '10.200.0.0/24',
      gateway: '10.200.0.1',
      fixed: false,
    });
  });

  it('is deterministic, and team k does not depend on how many teams follow', () => {
    const needs = [{ name: 'a', hosts: 2 }];
    expect(allocateSubnets(needs, 5, { pool: '10.9.0.0/16' })).to.deep.equal(
      allocateSubnets(needs, 5, { pool: '10.9.0.0/16' }),
    );
    expect(allocateSubnets(needs, 3, { pool: '10.9.0.0/16' })[2]).to.deep.equal(
      allocateSubnets(needs, 8, { pool: '10.9.0.0/16' })[2],
    );
  });

  it('honours fixed subnets (same block for every team) and never allocates over them', () => {
    const needs = [
      { name: 'corp', hosts: 2, fixed: cidr('10.200.1.0/24') },
      { name: 'dmz', hosts: 2 },
    ];
    const result = allocateSubnets(needs, 4, { pool: '10.200.0.0/16' });
    for (const team of result) {
      expect(team[0]).to.include({ subnet: '10.200.1.0/24', fixed: true });
      expect(team[1]!.subnet).to.not.equal('10.200.1.0/24');
    }
    expect(result.map((t) => t[1]!.subnet)).to.deep.equal([
      '10.200.0.0/24',
      '10.200.2.0/24',
      '10.200.3.0/24',
      '10.200.4.0/24',
    ]);
  });

  it('skips reserved blocks', () => {
    const result = allocateSubnets([{ name: 'a', hosts: 1 }], 2, {
      pool: '10.0.0.0/22',
      reserved: ['10.0.0.0/23'],
    });
    expect(result.map((t) => t[0]!.subnet)).to.deep.equal(['10.0.2.0/24', '10.0.3.0/24']);
  });

  it('sizes blocks for large networks', () => {
    expect(prefixFor(3)).to.equal(24);
    expect(prefixFor(244)).to.equal(24);
    expect(prefixFor(245)).to.equal(24); // .10 to .254
    expect(prefixFor(246)).to.equal(23);
    expect(prefixFor(1000)).to.equal(22);
    expect(hostRange(cidr('10.0.0.0/24'))).to.deep.equal({
      first: cidr('10.0.0.10/32').base,
      last: cidr('10.0.0.254/32').base,
    });
  });

  it('says when the pool is exhausted, naming the pool and the team', () => {
    expect(() => allocateSubnets([{ name: 'a', hosts: 1 }], 5, { pool: '10.0.0.0/22' }))
      .to.throw(CyropError, /10\.0\.0\.0\/22 is exhausted at team 5, network 'a'/)
      .with.property('code', 'CONFIG_INVALID');
    expect(() => allocateSubnets([], 1, { pool: '10.0.0.1/16' })).to.throw(CyropError, /host bits set/);
  });
});
