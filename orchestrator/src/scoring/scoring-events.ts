import { CyropError } from '../errors.ts';
export type {
  ScoringEvent,
  SubmissionOutcome,
  WrongReason,
  SubmissionEvent,
  SolveEvent,
  CheckResultEvent,
  HintUnlockEvent,
  AwardEvent,
  FreezeEvent,
  UnfreezeEvent,
  ExerciseStartedEvent,
  ExerciseEndedEvent,
} from '../../../contract/scoring-events.ts';
import type { ScoringEvent, SubmissionOutcome } from '../../../contract/scoring-events.ts';

/**
 * The append-only scoring event log of one exercise. The store assigns `seq` (strictly increasing,
 * gaps allowed) in the same transaction that acknowledges a submission; `at` is the server's clock in
 * epoch milliseconds, injected (this module never reads a clock). Events are facts: corrections are
 * new events (an `award` with negative points), never edits.
 */
export type ScoringEventType = ScoringEvent['type'];

/** An event before the store has numbered it. */
export type ScoringEventDraft = WithoutSeq<ScoringEvent>;
type WithoutSeq<E> = E extends ScoringEvent ? Omit<E, 'seq'> : never;

export const SUBMISSION_OUTCOMES: readonly SubmissionOutcome[] = [
  'correct',
  'wrong',
  'other-team',
  'rate-limited',
  'locked',
  'already-solved',
  'closed',
];

export const MAX_OUTPUT_EXCERPT_BYTES = 2048;
export const MAX_TEXT_EXCERPT_BYTES = 256;

/** Events whose `teamId` names the team they belong to; the others concern the whole exercise. */
export type TeamScoringEvent = Extract<ScoringEvent, { teamId: string }>;

export function isTeamEvent(event: ScoringEvent): event is TeamScoringEvent {
  return 'teamId' in event;
}

/** The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes`, never splitting a character. */
export function utf8Excerpt(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text; // fast path: every UTF-16 unit is at most 3 bytes
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const codePoint = char.codePointAt(0) ?? 0;
    const size = codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end);
}

/**
 * Reads an event back from storage (JSON), checking its shape; throws BAD_REQUEST naming the
 * first problem. Unknown keys are dropped.
 */
export function parseScoringEvent(value: unknown): ScoringEvent {
  const o = record(value, 'event');
  const seq = integer(o, 'seq', 0);
  const at = integer(o, 'at', Number.MIN_SAFE_INTEGER);
  const type = o['type'];
  switch (type) {
    case 'submission': {
      const outcome = o['outcome'];
      if (typeof outcome !== 'string' || !(SUBMISSION_OUTCOMES as readonly string[]).includes(outcome))
        fail(`event ${seq}: outcome must be one of ${SUBMISSION_OUTCOMES.join(', ')}`);
      const reason = o['reason'];
      if (reason !== undefined && reason !== 'empty' && reason !== 'too-long' && reason !== 'no-match')
        fail(`event ${seq}: reason must be empty, too-long or no-match`);
      const owners = o['ownerTeamIds'];
      if (owners !== undefined && (!Array.isArray(owners) || !owners.every((x) => typeof x === 'string')))
        fail(`event ${seq}: ownerTeamIds must be a list of team ids`);
      return {
        type,
        seq,
        at,
        teamId: text(o, 'teamId'),
        objectiveId: text(o, 'objectiveId'),
        outcome: outcome as SubmissionOutcome,
        textSha256: text(o, 'textSha256'),
        ...optionalText(o, 'textExcerpt'),
        ...(reason !== undefined ? { reason } : {}),
        ...(owners !== undefined ? { ownerTeamIds: [...owners] } : {}),
        ...optionalText(o, 'userId'),
      };
    }
    case 'solve': {
      const via = o['via'];
      if (via !== 'flag' && via !== 'question' && via !== 'check')
        fail(`event ${seq}: via must be flag, question or check`);
      return {
        type,
        seq,
        at,
        teamId: text(o, 'teamId'),
        objectiveId: text(o, 'objectiveId'),
        via,
        ...optionalText(o, 'userId'),
      };
    }
    case 'check-result': {
      const passed = o['passed'];
      if (typeof passed !== 'boolean') fail(`event ${seq}: passed must be true or false`);
      const exitCode = o['exitCode'] === null ? null : integer(o, 'exitCode', Number.MIN_SAFE_INTEGER);
      return {
        type,
        seq,
        at,
        teamId: text(o, 'teamId'),
        objectiveId: text(o, 'objectiveId'),
        passed,
        exitCode,
        outputExcerpt: utf8Excerpt(text(o, 'outputExcerpt', true), MAX_OUTPUT_EXCERPT_BYTES),
        durationMs: integer(o, 'durationMs', 0),
      };
    }
    case 'hint-unlock':
      return {
        type,
        seq,
        at,
        teamId: text(o, 'teamId'),
        objectiveId: text(o, 'objectiveId'),
        hintId: text(o, 'hintId'),
        cost: integer(o, 'cost', 0),
        ...optionalText(o, 'userId'),
      };
    case 'award':
      return {
        type,
        seq,
        at,
        teamId: text(o, 'teamId'),
        points: integer(o, 'points', Number.MIN_SAFE_INTEGER),
        reason: text(o, 'reason', true),
        ...optionalText(o, 'by'),
      };
    case 'freeze':
    case 'unfreeze':
      return { type, seq, at, ...optionalText(o, 'by') };
    case 'exercise-started':
      return {
        type,
        seq,
        at,
        ...(o['endsAt'] !== undefined ? { endsAt: integer(o, 'endsAt', Number.MIN_SAFE_INTEGER) } : {}),
      };
    case 'exercise-ended':
      return { type, seq, at };
    default:
      return fail(`event ${seq}: unknown type ${JSON.stringify(type)}`);
  }
}

function fail(message: string): never {
  throw new CyropError('BAD_REQUEST', message);
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function integer(o: Record<string, unknown>, key: string, min: number): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
    fail(`${key} must be an integer${min === 0 ? ' ≥ 0' : ''}, got ${JSON.stringify(v)}`);
  return v;
}

function text(o: Record<string, unknown>, key: string, allowEmpty = false): string {
  const v = o[key];
  if (typeof v !== 'string' || (!allowEmpty && v === '')) fail(`${key} must be a non-empty string`);
  return v;
}

function optionalText<K extends string>(o: Record<string, unknown>, key: K): Partial<Record<K, string>> {
  const v = o[key];
  if (v === undefined) return {};
  if (typeof v !== 'string') fail(`${key} must be a string`);
  return { [key]: v } as Partial<Record<K, string>>;
}

const OUTCOMES = new Set<unknown>(SUBMISSION_OUTCOMES);

/**
 * Reads back an event the service itself wrote (the payload is `JSON.stringify(draft)`, `seq` is its
 * row): the fast path of a rebuild. Checks in place, without copying, the fields the projection
 * reads; anything unexpected goes through `parseScoringEvent`, which names the problem (or
 * normalises). `o` is taken over (its `seq` is set). Untrusted input goes through `parseScoringEvent`.
 */
export function storedScoringEvent(o: Record<string, unknown>, seq: number): ScoringEvent {
  o['seq'] = seq;
  return storedShapeOk(o) ? (o as unknown as ScoringEvent) : parseScoringEvent(o);
}

function storedShapeOk(o: Record<string, unknown>): boolean {
  const at = o['at'];
  if (typeof at !== 'number' || !Number.isSafeInteger(at) || !Number.isSafeInteger(o['seq'])) return false;
  switch (o['type']) {
    case 'submission': {
      const owners = o['ownerTeamIds'];
      const reason = o['reason'];
      return (
        ids(o) &&
        OUTCOMES.has(o['outcome']) &&
        nonEmpty(o['textSha256']) &&
        optional(o['textExcerpt']) &&
        optional(o['userId']) &&
        (reason === undefined || reason === 'empty' || reason === 'too-long' || reason === 'no-match') &&
        (owners === undefined || (Array.isArray(owners) && owners.every((x) => typeof x === 'string')))
      );
    }
    case 'solve': {
      const via = o['via'];
      return ids(o) && (via === 'flag' || via === 'question' || via === 'check') && optional(o['userId']);
    }
    case 'check-result': {
      const exitCode = o['exitCode'];
      const excerpt = o['outputExcerpt'];
      return (
        ids(o) &&
        typeof o['passed'] === 'boolean' &&
        (exitCode === null || Number.isSafeInteger(exitCode)) &&
        typeof excerpt === 'string' &&
        excerpt.length * 3 <= MAX_OUTPUT_EXCERPT_BYTES && // else let the full parse cut it
        Number.isSafeInteger(o['durationMs']) &&
        (o['durationMs'] as number) >= 0
      );
    }
    case 'hint-unlock':
      return (
        ids(o) &&
        nonEmpty(o['hintId']) &&
        Number.isSafeInteger(o['cost']) &&
        (o['cost'] as number) >= 0 &&
        optional(o['userId'])
      );
    case 'award':
      return (
        nonEmpty(o['teamId']) &&
        Number.isSafeInteger(o['points']) &&
        typeof o['reason'] === 'string' &&
        optional(o['by'])
      );
    case 'freeze':
    case 'unfreeze':
      return optional(o['by']);
    case 'exercise-started':
      return o['endsAt'] === undefined || Number.isSafeInteger(o['endsAt']);
    case 'exercise-ended':
      return true;
    default:
      return false;
  }
}

function ids(o: Record<string, unknown>): boolean {
  return nonEmpty(o['teamId']) && nonEmpty(o['objectiveId']);
}

function nonEmpty(v: unknown): boolean {
  return typeof v === 'string' && v !== '';
}

function optional(v: unknown): boolean {
  return v === undefined || typeof v === 'string';
}
