/**
 * Suggest the ids closest to an unknown id, for messages such as
 * `unknown statement K9999 in nice-2.1.0 (closest: K0999, K0099, K0199)`.
 *
 * Distance is the optimal-string-alignment variant of Damerau–Levenshtein (insertions, deletions,
 * substitutions and transpositions of adjacent characters), compared case-insensitively.
 * Candidates whose prefix (the leading non-digit part: `K`, `T`, `PD-WRL-`, `NF-COM-`) equals the
 * prefix of `id` come first; within that, smaller distance first, ties broken by id (code-unit order).
 * Linear in the number of candidates; a few thousand candidates take well under a millisecond each.
 */
export function closestIds(id: string, candidates: Iterable<string>, max = 3): string[] {
  if (!(max >= 1)) return [];
  const target = id.trim().toUpperCase();
  const targetPrefix = idPrefix(target);
  const seen = new Set<string>();
  const scored: { id: string; tier: number; distance: number }[] = [];
  const rows = new DistanceRows(target.length);
  for (const candidate of candidates) {
    if (seen.has(candidate)) continue;
    seen.add(candidate);
    const upper = candidate.toUpperCase();
    scored.push({
      id: candidate,
      tier: idPrefix(upper) === targetPrefix ? 0 : 1,
      distance: rows.distance(target, upper),
    });
  }
  scored.sort((a, b) => a.tier - b.tier || a.distance - b.distance || compareIds(a.id, b.id));
  return scored.slice(0, Math.floor(max)).map((s) => s.id);
}

/** The leading non-digit part of an id: `K0018` → `K`, `PD-WRL-001` → `PD-WRL-`. */
function idPrefix(id: string): string {
  const match = /^[^0-9]*/.exec(id);
  return match ? match[0] : '';
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Three reusable DP rows for the optimal-string-alignment distance against one target string. */
class DistanceRows {
  private prev2: Int32Array;
  private prev: Int32Array;
  private cur: Int32Array;

  constructor(targetLength: number) {
    this.prev2 = new Int32Array(targetLength + 1);
    this.prev = new Int32Array(targetLength + 1);
    this.cur = new Int32Array(targetLength + 1);
  }

  distance(target: string, other: string): number {
    const n = target.length;
    if (n === 0) return other.length;
    if (other.length === 0) return n;
    let prev2 = this.prev2;
    let prev = this.prev;
    let cur = this.cur;
    for (let j = 0; j <= n; j++) prev[j] = j;
    for (let i = 1; i <= other.length; i++) {
      cur[0] = i;
      const oc = other.charCodeAt(i - 1);
      for (let j = 1; j <= n; j++) {
        const tc = target.charCodeAt(j - 1);
        const cost = oc === tc ? 0 : 1;
        let best = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
        if (i > 1 && j > 1 && oc === target.charCodeAt(j - 2) && other.charCodeAt(i - 2) === tc) {
          best = Math.min(best, (prev2[j - 2] ?? 0) + 1);
        }
        cur[j] = best;
      }
      const spare = prev2;
      prev2 = prev;
      prev = cur;
      cur = spare;
    }
    this.prev2 = prev2;
    this.prev = prev;
    this.cur = cur;
    return prev[n] ?? 0;
  }
}

/**
 * The candidates closest to a mistyped word (a key, an enum value), nearest first, and only those
 * within a third of the word's length (at least 2 edits): suggestions that are not near are noise.
 */
export function closestWords(word: string, candidates: readonly string[], count = 3): string[] {
  const target = word.toLowerCase();
  const limit = Math.max(2, Math.ceil(word.length / 3));
  const rows = new DistanceRows(target.length);
  return candidates
    .map((c) => ({ c, d: rows.distance(target, c.toLowerCase()) }))
    .filter(({ d }) => d <= limit)
    .sort((x, y) => x.d - y.d || compareIds(x.c, y.c))
    .slice(0, count)
    .map(({ c }) => c);
}
