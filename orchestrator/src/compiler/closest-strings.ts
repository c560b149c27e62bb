/** Levenshtein distance, with an early exit once it exceeds `max`. */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      row.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > max) return max + 1;
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** The candidates closest to `word` (at most a third of its length away), nearest first. */
export function closestStrings(word: string, candidates: readonly string[], count = 3): string[] {
  const limit = Math.max(2, Math.ceil(word.length / 3));
  return candidates
    .map((c) => ({ c, d: editDistance(word.toLowerCase(), c.toLowerCase(), limit) }))
    .filter(({ d }) => d <= limit)
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
    .slice(0, count)
    .map(({ c }) => c);
}
