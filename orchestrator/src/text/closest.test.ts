import { expect } from 'chai';
import { closestIds, closestWords } from './closest.ts';

describe('closestIds', () => {
  it('orders by edit distance, then by id', () => {
    expect(closestIds('K0019', ['K0029', 'K0018', 'K0010', 'K1111'])).to.deep.equal([
      'K0010',
      'K0018',
      'K0029',
    ]);
  });

  it('counts an adjacent transposition as one edit', () => {
    expect(closestIds('PD-WLR-001', ['DD-WRL-001', 'PD-WRL-002', 'PD-WRL-001'], 1)).to.deep.equal([
      'PD-WRL-001',
    ]);
    expect(closestIds('K0081', ['K0018', 'K0091'], 2)).to.deep.equal(['K0018', 'K0091']);
  });

  it('prefers candidates with the same prefix even when others are nearer', () => {
    expect(closestIds('K0018', ['S0018', 'K1234', 'T0018'])).to.deep.equal(['K1234', 'S0018', 'T0018']);
    expect(closestIds('NF-COM-012', ['NF-COM-011', 'K0012', 'NF-COM-002'], 2)).to.deep.equal([
      'NF-COM-002',
      'NF-COM-011',
    ]);
  });

  it('compares case-insensitively, returns the candidates as given, and drops duplicates', () => {
    expect(closestIds(' k0018 ', ['K0019', 'K0018', 'K0018'])).to.deep.equal(['K0018', 'K0019']);
  });

  it('honours max and copes with empty input', () => {
    expect(closestIds('K0001', ['K0002', 'K0003', 'K0004', 'K0005'], 2)).to.have.length(2);
    expect(closestIds('K0001', ['K0002'], 0)).to.deep.equal([]);
    expect(closestIds('K0001', [])).to.deep.equal([]);
    expect(closestIds('', ['T1', 'K12'])).to.deep.equal(['T1', 'K12']);
  });

  it('handles a few thousand candidates quickly', () => {
    const candidates = Array.from({ length: 2500 }, (_, i) => `K${String(i).padStart(4, '0')}`);
    const started = performance.now();
    for (let i = 0; i < 50; i++) closestIds('K9999', candidates);
    const perLookup = (performance.now() - started) / 50;
    expect(closestIds('K9999', candidates)).to.deep.equal(['K0999', 'K1999', 'K0099']);
    expect(perLookup).to.be.below(20);
  });
});

describe('closestWords', () => {
  it('suggests near words only, nearest first', () => {
    expect(closestWords('imgae', ['image', 'name', 'networks'])).to.deep.equal(['image']);
    expect(closestWords('capabilites', ['capabilities', 'console'])).to.deep.equal(['capabilities']);
    expect(closestWords('zzz', ['image', 'name'])).to.deep.equal([]);
    expect(closestWords('Beginer', ['beginner', 'intermediate', 'advanced'], 1)).to.deep.equal(['beginner']);
  });
});
