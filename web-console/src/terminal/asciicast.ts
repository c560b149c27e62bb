/** An asciicast v2 recording: header line, then `[seconds, code, data]` events. */
export interface Asciicast {
  width: number;
  height: number;
  timestamp?: number;
  title?: string;
  idleTimeLimit?: number;
  events: AsciicastEvent[];
  /** Seconds from the start to the last event. */
  duration: number;
}

export interface AsciicastEvent {
  time: number;
  /** 'o' output, 'i' input, 'r' resize ("COLSxROWS"), 'm' marker; other codes are kept and skipped by players. */
  code: string;
  data: string;
}

/**
 * Parses an asciicast v2 file. Lines that are not events (blank, or a torn last line of a
 * recording still being written) are skipped; a missing or wrong header is an error.
 */
export function parseAsciicast(text: string): Asciicast {
  const lines = text.split('\n');
  const first = lines.shift();
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(first ?? '') as Record<string, unknown>;
  } catch {
    throw new Error('not an asciicast file: the first line is not a JSON header');
  }
  if (header['version'] !== 2) throw new Error('only asciicast version 2 is supported');
  const events: AsciicastEvent[] = [];
  for (const line of lines) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (!Array.isArray(value) || value.length < 3) continue;
    const [time, code, data] = value as unknown[];
    if (typeof time !== 'number' || typeof code !== 'string' || typeof data !== 'string') continue;
    events.push({ time, code, data });
  }
  events.sort((a, b) => a.time - b.time);
  const number = (v: unknown): number | undefined => (typeof v === 'number' && v > 0 ? v : undefined);
  const timestamp = number(header['timestamp']);
  const idleTimeLimit = number(header['idle_time_limit']);
  return {
    width: number(header['width']) ?? 80,
    height: number(header['height']) ?? 24,
    ...(timestamp !== undefined ? { timestamp } : {}),
    ...(typeof header['title'] === 'string' ? { title: header['title'] } : {}),
    ...(idleTimeLimit !== undefined ? { idleTimeLimit } : {}),
    events,
    duration: events.at(-1)?.time ?? 0,
  };
}

/** "COLSxROWS" of a resize event, or undefined when malformed. */
export function parseResize(data: string): { cols: number; rows: number } | undefined {
  const match = /^(\d+)x(\d+)$/.exec(data.trim());
  if (!match) return undefined;
  return { cols: Number(match[1]), rows: Number(match[2]) };
}
