export type Locale = 'en' | 'ja';

/** The template of `key` in `catalogue`: its plural form for `count` when the language has one. */
export function template(
  catalogue: Readonly<Record<string, string>>,
  lang: Locale,
  key: string,
  count: string | number | undefined,
): string {
  const form =
    typeof count === 'number' ? catalogue[`${key}#${new Intl.PluralRules(lang).select(count)}`] : undefined;
  return form ?? catalogue[key] ?? key;
}
