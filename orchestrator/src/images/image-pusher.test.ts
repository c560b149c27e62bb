import { expect } from 'chai';
import { checkRegistry } from './image-pusher.ts';

describe('checkRegistry', () => {
  it('accepts HOST[:PORT][/PATH] and drops a trailing slash', () => {
    expect(checkRegistry('127.0.0.1:5000')).to.equal('127.0.0.1:5000');
    expect(checkRegistry('registry.example:5000/ranges/')).to.equal('registry.example:5000/ranges');
    expect(checkRegistry('reg.example/a/b-c')).to.equal('reg.example/a/b-c');
  });
  it('refuses a scheme, a tag or upper-case path, naming the form', () => {
    for (const bad of ['http://reg.example', 'reg.example/ranges:1', 'reg.example/Ranges', ''])
      expect(() => checkRegistry(bad)).to.throw(/HOST\[:PORT\]\[\/PATH\]/);
  });
});
