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

  it('says when the pool is exhausted (POOL_EXHAUSTED, a 409), naming the pool, the team and who holds it', () => {
    expect(() =>
      allocateSubnets([{ name: 'a', hosts: 1 }], 5, {
        pool: '10.0.0.0/22',
        reserved: [{ block: '10.0.3.0/24', owner: 'exercise big-1 (team-1)' }],
      }),
    )
      .to.throw(
        CyropError,
        /subnet pool 10\.0\.0\.0\/22 has no free block left for team 4, network 'a' .*1 block\(s\) of it are in use by exercise big-1.*CYROP_SUBNET_POOL/,
      )
      .with.property('code', 'POOL_EXHAUSTED');
    expect(() => allocateSubnets([], 1, { pool: '10.0.0.1/16' })).to.throw(CyropError, /host bits set/);
  });

  it('avoids every block in use (engine networks, host routes, partial overlaps) and jumps past large ones', () => {
    const result = allocateSubnets([{ name: 'a', hosts: 1 }], 3, {
      pool: '10.200.0.0/16',
      reserved: [
        { block: '10.200.0.0/20', owner: "Docker network 'shop_default' (compose project shop)" },
        { block: '10.200.16.128/25', owner: 'host route 10.200.16.128/25 dev eth1' },
        { block: '10.200.17.5/24', owner: 'host address 10.200.17.5/24 on eth2' },
      ],
    });
    expect(result.map((t) => t[0]!.subnet)).to.deep.equal([
      '10.200.18.0/24',
      '10.200.19.0/24',
      '10.200.20.0/24',
    ]);
  });

  it('numbers teams from firstTeam (a re-plan of team k)', () => {
    expect(() =>
      allocateSubnets([{ name: 'a', hosts: 1 }], 1, {
        pool: '10.0.0.0/24',
        reserved: ['10.0.0.0/24'],
        firstTeam: 7,
      }),
    ).to.throw(CyropError, /team 7/);
  });

  it('starts at an offset when told (re-plans), wraps around the pool end and never hands out a block twice', () => {
    const needs = [
      { name: 'a', hosts: 1 },
      { name: 'b', hosts: 1 },
      { name: 'c', hosts: 1 },
    ];
    const [team] = allocateSubnets(needs, 1, {
      pool: '10.0.0.0/22',
      reserved: ['10.0.0.0/24'],
      startOffset: 2 * 256 + 17, // inside 10.0.2.0/24: aligned up to 10.0.3.0/24
    });
    expect(team!.map((a) => a.subnet)).to.deep.equal(['10.0.3.0/24', '10.0.1.0/24', '10.0.2.0/24']);
    expect(() =>
      allocateSubnets([...needs, { name: 'd', hosts: 1 }], 1, {
        pool: '10.0.0.0/22',
        reserved: ['10.0.0.0/24'],
        startOffset: 3 * 256,
      }),
    )
      .to.throw(CyropError, /no free block left for team 1, network 'd'/)
      .with.property('code', 'POOL_EXHAUSTED');
  });

  describe('fixed subnets at launch (fixedPools given)', () => {
    const at = { file: 'up/scenario.yaml', line: 12, column: 13, pointer: '/networks/0/subnet' };
    const fixedNeed = [
      { name: 'corp', hosts: 2, fixed: cidr('192.0.2.0/24'), fixedAt: at },
      { name: 'dmz', hosts: 2 },
    ];

    it('refuses one outside the operator pools (none by default) with the file:line of the field', () => {
      for (const fixedPools of [[], ['10.20.0.0/16']]) {
        try {
          allocateSubnets(fixedNeed, 1, { pool: '10.200.0.0/16', fixedPools });
          expect.fail('accepted');
        } catch (error) {
          expect(error).to.be.instanceOf(CyropError).with.property('code', 'SCENARIO_INVALID');
          expect((error as Error).message).to.match(
            /^up\/scenario\.yaml:12:13 {2}\/networks\/0\/subnet {2}fixed subnet 192\.0\.2\.0\/24 of network 'corp' is outside/,
          );
          expect((error as Error).message).to.include(
            fixedPools.length ? '10.20.0.0/16' : 'none are configured',
          );
          expect((error as CyropError).details).to.deep.equal([
            {
              severity: 'error',
              rule: 'network.subnet-pool',
              ...at,
              message: (error as Error).message.split('  ')[2],
            },
          ]);
        }
      }
    });

    it('accepts one inside a pool, for one team', () => {
      const [team] = allocateSubnets(fixedNeed, 1, { pool: '10.200.0.0/16', fixedPools: ['192.0.2.0/24'] });
      expect(team!.map((a) => a.subnet)).to.deep.equal(['192.0.2.0/24', '10.200.0.0/24']);
    });

    it('refuses one that overlaps something in use, naming it', () => {
      expect(() =>
        allocateSubnets(fixedNeed, 1, {
          pool: '10.200.0.0/16',
          fixedPools: ['192.0.0.0/8'],
          reserved: [{ block: '192.0.2.0/24', owner: 'host route 192.0.2.0/24 dev eth0' }],
        }),
      )
        .to.throw(
          CyropError,
          "up/scenario.yaml:12:13: fixed subnet 192.0.2.0/24 of network 'corp' overlaps 192.0.2.0/24, in use by host route 192.0.2.0/24 dev eth0",
        )
        .with.property('code', 'SUBNET_CONFLICT');
    });

    it('refuses one that several teams would share (one block is one network on an engine)', () => {
      expect(() => allocateSubnets(fixedNeed, 2, { pool: '10.200.0.0/16', fixedPools: ['192.0.2.0/24'] }))
        .to.throw(CyropError, /would be needed by all 2 teams/)
        .with.property('code', 'SUBNET_CONFLICT');
    });
  });
});
