/**
 * The API's duration syntax (`90m`, `1h30m`, `2h`): the server's `DURATION_PATTERN`
 * (duration-syntax.test.ts keeps the two equal), so the launch form can say what is wrong before
 * sending, in the reader's language.
 */
export const DURATION = /^(?:[1-9][0-9]{0,5}(?:ms|s|m|h|d))+$/;

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 };

/** Seconds in a duration, or undefined when `text` is not one. */
export function durationSeconds(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let seconds = 0;
  for (const m of text.matchAll(/(\d+)(ms|s|m|h|d)/g))
    seconds += Number(m[1]) * (UNIT_SECONDS[m[2] ?? ''] ?? 0);
  return seconds;
}
