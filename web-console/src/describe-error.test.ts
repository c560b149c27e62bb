import { expect } from 'chai';
import type { ErrorCode } from '../../contract/errors.ts';

// i18n reads the browser's language and sets <html lang>: the least of a browser, for this test only
const g = globalThis as Record<string, unknown>;
const saved = { navigator: g['navigator'], document: g['document'] };

/** Every code the platform sends: a new one does not compile until it is listed here. */
const CODES: Record<ErrorCode, true> = {
  BAD_REQUEST: true,
  BAD_JSON: true,
  UNAUTHENTICATED: true,
  FORBIDDEN: true,
  RATE_LIMITED: true,
  PAYLOAD_TOO_LARGE: true,
  UNSUPPORTED_MEDIA_TYPE: true,
  CONFIG_INVALID: true,
  NOT_FOUND: true,
  SCENARIO_INVALID: true,
  SCENARIO_TOO_COSTLY: true,
  NICE_FORMAT_UNKNOWN: true,
  NICE_CATALOGUE_MISSING: true,
  IO_ERROR: true,
  CONFLICT: true,
  EXERCISE_ENDED: true,
  POOL_EXHAUSTED: true,
  QUOTA_EXCEEDED: true,
  SUBNET_CONFLICT: true,
  ENGINE_UNAVAILABLE: true,
  ENGINE_VERSION: true,
  ENGINE_NOT_FOUND: true,
  ENGINE_CONFLICT: true,
  ENGINE_IMAGE_MISSING: true,
  ENGINE_TIMEOUT: true,
  ENGINE_ERROR: true,
  INTERNAL: true,
};

describe('API errors said to people (describeCode)', () => {
  let i18n: typeof import('./i18n/i18n.ts');
  let describeCode: typeof import('./describe-error.ts').describeCode;

  before(async () => {
    if (typeof g['navigator'] === 'undefined') g['navigator'] = { language: 'en' };
    g['document'] ??= { documentElement: {} };
    i18n = await import('./i18n/i18n.ts');
    ({ describeCode } = await import('./describe-error.ts'));
  });
  after(() => {
    i18n.setLocale('en');
    g['navigator'] = saved.navigator;
    g['document'] = saved.document;
  });

  for (const lang of ['en', 'ja'] as const)
    it(`never shows an internal code or message key, in ${lang}`, () => {
      i18n.setLocale(lang);
      for (const code of Object.keys(CODES)) {
        const text = describeCode(code, 'what the server said');
        expect(text, code).to.not.include(code);
        expect(text, code).to.not.match(/\b[a-z]+\.[a-z][A-Za-z]+\b|\{\w+\}/);
        if (lang === 'ja') expect(text, code).to.match(/[\u3040-\u30ff\u4e00-\u9fff]/);
      }
    });

  it('says a conflict with a live class in its own sentence, in both languages', () => {
    const cases: [string, string][] = [
      ['the exercise is ended, not running', 'error.exerciseOver'],
      ["exercise 'ex-1' is tearing-down", 'error.exerciseOver'],
      ['the exercise ended at 2026-12-04T21:00:00.000Z', 'error.exerciseOver'],
      ['the exercise is launching, not running', 'error.exerciseNotRunning'],
    ];
    for (const lang of ['en', 'ja'] as const) {
      i18n.setLocale(lang);
      for (const [message, key] of cases)
        expect(describeCode('CONFLICT', message), message).to.equal(i18n.t(key as 'error.exerciseOver'));
      const team = describeCode('CONFLICT', "the team's environment is resetting");
      expect(team.toLowerCase()).to.include(lang === 'en' ? 'resetting' : 'リセット');
      expect(team).to.not.include('CONFLICT');
    }
    i18n.setLocale('en');
    expect(describeCode('CONFLICT', 'this invitation was accepted already')).to.equal(
      'This cannot be done right now: this invitation was accepted already',
    );
    expect(describeCode('HTTP_502', 'Bad Gateway', 502)).to.equal(i18n.t('error.internal'));
  });
});
