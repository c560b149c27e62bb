import { expect } from 'chai';
import { contains, formatCidr, formatIpv4, overlaps, parseCidr, parseIpv4 } from './ipv4.ts';

describe('ipv4', () => {
  it('parses and formats addresses, rejecting malformed ones', () => {
    expect(formatIpv4(parseIpv4('10.20.0.10')!)).to.equal('10.20.0.10');
    expect(parseIpv4('255.255.255.255')).to.equal(0xffffffff);
    for (const bad of ['256.0.0.1', '1.2.3', '01.2.3.4', '1.2.3.4.5', 'a.b.c.d', ''])
      expect(parseIpv4(bad), bad).to.equal(undefined);
  });

  it('parses CIDR blocks and says what is wrong with bad ones', () => {
    expect(formatCidr(parseCidr('10.20.0.0/24').cidr!)).to.equal('10.20.0.0/24');
    expect(parseCidr('10.20.0.5/24').problem).to.equal('has host bits set: the block is 10.20.0.0/24');
    expect(parseCidr('10.20.0.0/33').problem).to.match(/prefix length/);
    expect(parseCidr('10.20.0/24').problem).to.match(/not an IPv4 address/);
  });

  it('tells containment and overlap', () => {
    const a = parseCidr('10.0.0.0/16').cidr!;
    const b = parseCidr('10.0.5.0/24').cidr!;
    const c = parseCidr('10.1.0.0/24').cidr!;
    expect(overlaps(a, b)).to.equal(true);
    expect(overlaps(b, a)).to.equal(true);
    expect(overlaps(a, c)).to.equal(false);
    expect(contains(b, parseIpv4('10.0.5.255')!)).to.equal(true);
    expect(contains(b, parseIpv4('10.0.6.0')!)).to.equal(false);
  });
});
