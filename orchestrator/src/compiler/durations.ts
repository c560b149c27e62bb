/** The duration syntax of scenarios, the CLI and the API (also in the JSON Schema's `duration`). */
export const DURATION_PATTERN = '^(?:[1-9][0-9]{0,5}(?:ms|s|m|h|d))+$';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parse a duration such as `90m`, `1h30m`, `500ms` into milliseconds (the schema already checked the syntax). */
export function parseDuration(text: string): number {
  let total = 0;
  for (const match of text.matchAll(/(\d+)(ms|s|m|h|d)/g)) {
    total += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  }
  return total;
}

const MEMORY_UNIT = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 } as const;

/** Parse a Kubernetes-style binary size (`256Mi`, `1Gi`) into bytes. */
export function parseMemory(text: string): number {
  const match = /^(\d+)(Ki|Mi|Gi)$/.exec(text);
  if (!match) return Number.NaN;
  return Number(match[1]) * MEMORY_UNIT[match[2] as keyof typeof MEMORY_UNIT];
}

/** Bytes as the largest binary unit that divides them exactly (`10Gi`, `1536Mi`), else in bytes. */
export function formatSize(bytes: number): string {
  for (const [unit, size] of Object.entries(MEMORY_UNIT).reverse()) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes} bytes`;
}
