import { en } from './en.ts';
import { ja } from './ja.ts';
import { template, type Locale } from './template.ts';

/**
 * A message. A language that inflects for number adds forms as `<key>#<plural category>` (`#one`
 * beside `'{count} tries'`): `t` picks one by the `count` parameter with `Intl.PluralRules`.
 */
export type MessageKey = Exclude<keyof typeof en, `${string}#${string}`>;
export type { Locale } from './template.ts';
export const LOCALES: readonly Locale[] = ['en', 'ja'];

const CATALOGUES: Record<Locale, Readonly<Record<string, string>>> = { en, ja };
const STORAGE_KEY = 'cyrop.lang';

let current: Locale = initialLocale();
const listeners = new Set<(locale: Locale) => void>();

function initialLocale(): Locale {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    if (stored === 'en' || stored === 'ja') return stored;
  } catch {
    // storage may be disabled: fall through to the browser's preference
  }
  return navigator.language.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

export function locale(): Locale {
  return current;
}

/** Switches the language: persisted, set on `<html lang>`, and every listener re-renders. */
export function setLocale(next: Locale): void {
  current = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // not persisted; still switched for this page
  }
  document.documentElement.lang = next;
  for (const listener of listeners) listener(next);
}

export function onLocaleChange(listener: (locale: Locale) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The message `key` in the current language, `{name}` placeholders replaced (numbers formatted). */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  return fill(template(CATALOGUES[current], current, key, params.count), params);
}

function fill(template: string, params: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    if (value === undefined) return whole;
    return typeof value === 'number' ? formatNumber(value) : value;
  });
}

export function formatNumber(value: number): string {
  return new Intl.NumberFormat(current).format(value);
}

/** Date and time (epoch ms or ISO string) in the current language. */
export function formatDateTime(value: number | string): string {
  return new Intl.DateTimeFormat(current, { dateStyle: 'medium', timeStyle: 'medium' }).format(
    new Date(value),
  );
}

export function formatTime(value: number | string): string {
  return new Intl.DateTimeFormat(current, { timeStyle: 'medium' }).format(new Date(value));
}

/** "in 5 minutes" / "5 分後" style, for deadlines. */
export function formatRelative(targetMs: number, nowMs = Date.now()): string {
  const seconds = Math.round((targetMs - nowMs) / 1000);
  const rtf = new Intl.RelativeTimeFormat(current, { numeric: 'auto' });
  const abs = Math.abs(seconds);
  if (abs < 60) return rtf.format(seconds, 'second');
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), 'minute');
  if (abs < 86400) return rtf.format(Math.round(seconds / 3600), 'hour');
  return rtf.format(Math.round(seconds / 86400), 'day');
}

/**
 * Bytes as "290 B" / "290 バイト" (the catalogue: Intl's short "byte" reads "290 byte") and above
 * that "1.2 kB" / "1.2 MB" (Intl units, in the current language).
 */
export function formatBytes(bytes: number): string {
  const units = ['kilobyte', 'megabyte', 'gigabyte'] as const;
  if (bytes < 1000) return t('common.bytes', { count: bytes });
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return new Intl.NumberFormat(current, {
    style: 'unit',
    unit: units[unit],
    unitDisplay: 'short',
    maximumFractionDigits: 1,
  }).format(value);
}

/**
 * A scenario text in the current language: a plain string as is; a map by language falls back to
 * English, then to any language it has.
 */
export function pickText(text: string | Readonly<Record<string, string>> | undefined | null): string {
  if (text === undefined || text === null) return '';
  if (typeof text === 'string') return text;
  return text[current] ?? text['en'] ?? Object.values(text)[0] ?? '';
}
