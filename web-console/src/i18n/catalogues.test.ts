import { expect } from 'chai';
import { en } from './en.ts';
import { ja } from './ja.ts';

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').sort();
}

describe('web console message catalogues', () => {
  it('have the same keys in English and Japanese', () => {
    expect(Object.keys(ja).sort()).to.deep.equal(Object.keys(en).sort());
  });

  it('use the same {placeholders} per key', () => {
    const english = en as Record<string, string>;
    const japanese = ja as Record<string, string>;
    const mismatched = Object.keys(english).filter(
      (key) =>
        JSON.stringify(placeholders(english[key] ?? '')) !==
        JSON.stringify(placeholders(japanese[key] ?? '')),
    );
    expect(mismatched).to.deep.equal([]);
  });

  it('have no empty message', () => {
    const empty = [...Object.entries(en), ...Object.entries(ja)].filter(([, text]) => text.trim() === '');
    expect(empty).to.deep.equal([]);
  });

  it('catches a missing placeholder (the check itself works)', () => {
    expect(placeholders('{a} and {b}')).to.deep.equal(['a', 'b']);
    expect(placeholders('no placeholder')).to.deep.equal([]);
  });
});
