import { expect } from 'chai';
import { DeterministicRandom, deriveFlag, deriveParameter, deriveParameters } from './parameters.ts';

describe('parameters', () => {
  const secret = 'exercise-secret-1';

  it('derives a flag as prefix{hex} from HMAC-SHA256(secret, team, name)', () => {
    const flag = deriveFlag(secret, 'team-1', 'web_flag');
    expect(flag).to.match(/^CYROP\{[0-9a-f]{32}\}$/);
    // A fixed vector: this value must never change, or every running exercise's flags would.
    expect(flag).to.equal(deriveFlag(secret, 'team-1', 'web_flag'));
    expect(deriveFlag('k', 't', 'n', 'X', 8)).to.equal('X{2690bbcb}'); // python: hmac.new(b'k', b'cyrop/flag\x00t\x00n', sha256)
  });

  it('gives each team and each parameter its own flag', () => {
    const flags = new Set<string>();
    for (let t = 1; t <= 50; t++)
      for (const name of ['a', 'b']) flags.add(deriveFlag(secret, `team-${t}`, name));
    expect(flags.size).to.equal(100);
    expect(deriveFlag('other-secret', 'team-1', 'a')).to.not.equal(deriveFlag(secret, 'team-1', 'a'));
  });

  it('does not let team ids and names run into each other', () => {
    expect(deriveFlag(secret, 'team-1', '2x')).to.not.equal(deriveFlag(secret, 'team-12', 'x'));
  });

  it('draws passwords of the asked length and alphabet, deterministically', () => {
    const spec = { kind: 'password' as const, length: 24, alphabet: 'hex' as const };
    const a = deriveParameter(spec, secret, 'team-1', 'db');
    expect(a).to.match(/^[0-9a-f]{24}$/);
    expect(deriveParameter(spec, secret, 'team-1', 'db')).to.equal(a);
    expect(deriveParameter(spec, secret, 'team-2', 'db')).to.not.equal(a);
    expect(deriveParameter({ kind: 'password' }, secret, 'team-1', 'db')).to.match(/^[A-Za-z2-9]{16}$/);
  });

  it('picks choices from the list, every value reachable, close to uniform', () => {
    const values = ['alice', 'bob', 'carol'];
    const counts = new Map<string, number>();
    for (let t = 0; t < 3000; t++) {
      const v = deriveParameter({ kind: 'choice', values }, secret, `team-${t}`, 'user');
      counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).to.deep.equal(values);
    for (const n of counts.values()) expect(n).to.be.within(850, 1150);
  });

  it('keeps static values as written', () => {
    expect(deriveParameter({ kind: 'static', value: 8080 }, secret, 'team-1', 'port')).to.equal(8080);
  });

  it('derives a whole parameter set into an object without a prototype', () => {
    const values = deriveParameters(
      { f: { kind: 'flag' }, p: { kind: 'static', value: 'x' } },
      secret,
      'team-1',
    );
    expect(Object.getPrototypeOf(values)).to.equal(null);
    expect(Object.keys(values)).to.deep.equal(['f', 'p']);
  });

  it('samples without modulo bias', () => {
    const random = new DeterministicRandom(secret, 'team-1', 'bias');
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[random.below(3)]!++;
    for (const n of counts) expect(n).to.be.within(9_500, 10_500);
    expect(() => random.below(0)).to.throw(RangeError);
    const big = new DeterministicRandom(secret, 'team-1', 'big');
    for (let i = 0; i < 100; i++) expect(big.index(1000)).to.be.within(0, 999);
  });
});
