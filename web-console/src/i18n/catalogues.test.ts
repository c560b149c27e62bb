import { expect } from 'chai';
import { en } from './en.ts';
import { template } from './template.ts';
import { ja } from './ja.ts';

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').sort();
}

describe('web console message catalogues', () => {
  it('have the same keys in English and Japanese (English plural forms aside)', () => {
    const base = Object.keys(en).filter((k) => !k.includes('#'));
    expect(Object.keys(ja).sort()).to.deep.equal(base.sort());
  });

  it('give each English plural form a base message with the same placeholders, in a real plural category', () => {
    const english = en as Record<string, string>;
    const categories = new Intl.PluralRules('en').resolvedOptions().pluralCategories as string[];
    for (const key of Object.keys(english).filter((k) => k.includes('#'))) {
      const [base, form] = key.split('#');
      expect(english[base ?? ''], key).to.be.a('string');
      expect(categories, key).to.include(form);
      expect(placeholders(english[key] ?? ''), key).to.deep.equal(placeholders(english[base ?? ''] ?? ''));
    }
  });

  it('pick the plural form by count: 1 try, 2 tries, and Japanese has one form', () => {
    expect(template(en, 'en', 'exercise.tries', 1)).to.equal('{count} try');
    expect(template(en, 'en', 'exercise.tries', 2)).to.equal('{count} tries');
    expect(template(en, 'en', 'exercise.tries', 0)).to.equal('{count} tries');
    expect(template(en, 'en', 'exercise.tries', undefined)).to.equal('{count} tries');
    expect(template(ja, 'ja', 'exercise.tries', 1)).to.equal(ja['exercise.tries']);
  });

  it('use the same {placeholders} per key', () => {
    const english = en as Record<string, string>;
    const japanese = ja as Record<string, string>;
    const mismatched = Object.keys(japanese).filter(
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
