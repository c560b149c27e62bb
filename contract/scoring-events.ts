/**
 * The socket.io messages of the `/scoring` namespace, shared by the server (`scoring-socket.ts`)
 * and clients (`socket.io-client`: `io(url + '/scoring', { transports: ['websocket'] })` typed as
 * `Socket<ScoringServerToClient, ScoringClientToServer>`). Every message carries the `seq` of the
 * log it reflects: a client applies a delta only when its seq is above the snapshot's.
 */
export const SCORING_NAMESPACE = '/scoring';

/** The public board of an exercise, and for a participant its own team's detail. */
export interface BoardSnapshotMessage {
  exerciseId: string;
  seq: number;
  status: ExerciseStatus;
  frozen: boolean;
  version: number;
  board: readonly BoardRow[];
  objectives: readonly ObjectiveStats[];
  /** Participants only: their own team. */
  team?: TeamDetail;
  /** Instructors only: the live board and everything else. */
  instructor?: InstructorDetail;
}

export interface TeamDetail {
  teamId: string;
  objectives: VisibleObjective[];
  timeline: ScoringEvent[];
  attempts: AttemptCounts[];
}

export interface InstructorDetail {
  liveVersion: number;
  board: readonly BoardRow[];
  objectives: readonly ObjectiveStats[];
  sharing: readonly SharingReport[];
}

/** Rows and objective statistics of the public board that changed (replace by id). */
export interface BoardDeltaMessage {
  exerciseId: string;
  seq: number;
  status: ExerciseStatus;
  frozen: boolean;
  rows: readonly BoardRow[];
  objectives: readonly ObjectiveStats[];
}

/** One event of a team, as the team sees it, sent to that team only. */
export interface TeamUpdateMessage {
  exerciseId: string;
  teamId: string;
  seq: number;
  event: ScoringEvent;
  /** Objectives this event unlocked for the team (fetch their texts from /api/play/objectives). */
  unlocked: readonly string[];
  /** The team's own row (live: a team always sees its own progress). */
  row: BoardRow;
}

/** Every event of the exercise, with the live board changes, for instructors. */
export interface InstructorUpdateMessage {
  exerciseId: string;
  seq: number;
  event: ScoringEvent;
  rows: readonly BoardRow[];
  objectives: readonly ObjectiveStats[];
  sharing: SharingReport | null;
  status: ExerciseStatus;
  frozen: boolean;
}

/**
 * The exercise's lifecycle changed (launch, extend, teardown, expiry): pushed to every subscriber of
 * the exercise (`<ex>:public`), so pages follow it without polling. `state` is the exercise's state
 * (`created | launching | running | tearing-down | ended`), `endsAt` its expiry (ISO) or null.
 */
export interface ExerciseStateMessage {
  exerciseId: string;
  state: string;
  endsAt: string | null;
}

/**
 * A team's provisioning moved (its state, or a host came up): pushed to the exercise's instructors
 * (`<ex>:instructors`) so their page follows provisioning without polling. `readyHosts`: the hosts
 * reported ready so far; a `ready` team has every host up.
 */
export interface ExerciseTeamMessage {
  exerciseId: string;
  teamId: string;
  state: string;
  lastError: string | null;
  readyHosts: number;
}

export interface ScoringErrorMessage {
  code: string;
  message: string;
}

export interface ScoringServerToClient {
  'board:snapshot': (message: BoardSnapshotMessage) => void;
  'board:delta': (message: BoardDeltaMessage) => void;
  'team:update': (message: TeamUpdateMessage) => void;
  'instructor:update': (message: InstructorUpdateMessage) => void;
  'scoring:error': (message: ScoringErrorMessage) => void;
  /** An instructor's message to every team of the exercise (also in `GET /api/play/exercise`). */
  broadcast: (message: Broadcast) => void;
  /** The exercise's state or end time changed (also in `GET /api/play/exercise`). */
  'exercise:state': (message: ExerciseStateMessage) => void;
  /** Instructors only: a team's provisioning state or ready hosts changed (also in `GET /api/exercises/{id}`). */
  'exercise:team': (message: ExerciseTeamMessage) => void;
  /**
   * A help request was made, acknowledged or resolved (pushed from `main.ts`): to the exercise's
   * instructors in full, and to the asking team without the instructors' names.
   */
  'help:update': (message: HelpRequest) => void;
}

export type SubscribeReply =
  { ok: true; snapshot: BoardSnapshotMessage } | { ok: false; error: ScoringErrorMessage };

export interface ScoringClientToServer {
  /**
   * Participants are subscribed to their exercise on connection; users (instructors) subscribe to
   * each exercise they may watch. The reply carries a snapshot (also sent as `board:snapshot`).
   */
  subscribe: (request: { exerciseId: string }, reply: (result: SubscribeReply) => void) => void;
  unsubscribe: (request: { exerciseId: string }) => void;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ScoringInterServer {}

// ── payloads: the data the messages carry (defined here; the server's modules re-export them) ──

/** A scenario text: one string, or one per language tag. */
export type LocalizedText = string | Readonly<Record<string, string>>;
export type ObjectiveKind = 'flag' | 'question' | 'check';

/** The scoring state of an exercise. */
export type ExerciseStatus = 'pending' | 'running' | 'ended';

export interface BoardRow {
  /** 1-based position; the order is total (see `compareStandings`), so ranks are distinct. */
  readonly rank: number;
  readonly teamId: string;
  readonly teamName: string;
  readonly points: number;
  readonly solves: number;
  readonly lastScoringAt: number | null;
}

export interface ObjectiveStats {
  readonly objectiveId: string;
  readonly solves: number;
  /** Current value of one solve, without first-blood bonus. */
  readonly value: number;
  readonly firstBlood: { readonly teamId: string; readonly at: number } | null;
}

export interface AttemptCounts {
  readonly objectiveId: string;
  readonly outcomes: Readonly<Record<SubmissionOutcome, number>>;
  readonly total: number;
  readonly lastSubmissionAt: number | null;
  readonly checksPassed: number;
  readonly checksFailed: number;
  readonly lastCheckAt: number | null;
}

/** A team submitted another team's flag. */
export interface SharingReport {
  readonly seq: number;
  readonly at: number;
  readonly teamId: string;
  readonly objectiveId: string;
  readonly ownerTeamIds: readonly string[];
  readonly userId?: string;
}

/** An objective as its team may see it: no flags, answers or check commands. */
export interface VisibleObjective {
  readonly id: string;
  readonly kind: ObjectiveKind;
  readonly title: LocalizedText;
  readonly description?: LocalizedText;
  readonly question?: { readonly text?: LocalizedText };
  readonly competencies: readonly string[];
  /** Public value and solve count (frozen while the board is). */
  readonly value: number;
  readonly solves: number;
  readonly solved: boolean;
  readonly solvedAt: number | null;
  /** Hint texts only once unlocked, or once the objective is solved. */
  readonly hints: readonly {
    readonly id: string;
    readonly cost: number;
    readonly unlocked: boolean;
    readonly text?: LocalizedText;
  }[];
  /** For check objectives run periodically by the server. */
  readonly checkEveryMs?: number;
}

/**
 * The scoring event log's events (scoring/scoring-events.ts keeps the log's rules). The store
 * assigns `seq` (strictly increasing); `at` is the server's clock in epoch milliseconds.
 */
export type ScoringEvent =
  | SubmissionEvent
  | SolveEvent
  | CheckResultEvent
  | HintUnlockEvent
  | AwardEvent
  | FreezeEvent
  | UnfreezeEvent
  | ExerciseStartedEvent
  | ExerciseEndedEvent;

export interface EventBase {
  /** Position in the log, assigned by the store; strictly increasing. */
  seq: number;
  /** Epoch milliseconds, from the injected clock. */
  at: number;
}

/**
 * What happened to one submitted answer. `other-team` is another team's flag (suspected sharing:
 * never accepted, counted as a wrong attempt, shown to the submitting team as `wrong`);
 * `rate-limited`, `locked`, `already-solved` and `closed` were not checked at all.
 */
export type SubmissionOutcome =
  'correct' | 'wrong' | 'other-team' | 'rate-limited' | 'locked' | 'already-solved' | 'closed';

/** Why a checked answer was wrong. */
export type WrongReason = 'empty' | 'too-long' | 'no-match';

export interface SubmissionEvent extends EventBase {
  type: 'submission';
  teamId: string;
  objectiveId: string;
  outcome: SubmissionOutcome;
  /** SHA-256 (hex) of the text exactly as submitted. */
  textSha256: string;
  /**
   * The start of the submitted text (≤ MAX_TEXT_EXCERPT_BYTES of UTF-8), kept for `wrong` and
   * `correct` outcomes (a correct one is shown back to its own team on the solved objective; the
   * instructors know every answer anyway). Other teams' flags are secrets and are kept as their hash.
   */
  textExcerpt?: string;
  reason?: WrongReason;
  /** For `other-team`: the team(s) whose flag this is. */
  ownerTeamIds?: string[];
  userId?: string;
}

export interface SolveEvent extends EventBase {
  type: 'solve';
  teamId: string;
  objectiveId: string;
  via: 'flag' | 'question' | 'check';
  userId?: string;
}

export interface CheckResultEvent extends EventBase {
  type: 'check-result';
  teamId: string;
  objectiveId: string;
  passed: boolean;
  /** null when the command did not exit by itself (timeout, engine failure). */
  exitCode: number | null;
  /** At most MAX_OUTPUT_EXCERPT_BYTES of UTF-8 (see `utf8Excerpt`). */
  outputExcerpt: string;
  durationMs: number;
}

export interface HintUnlockEvent extends EventBase {
  type: 'hint-unlock';
  teamId: string;
  objectiveId: string;
  hintId: string;
  /** The cost charged, as declared by the plan when the hint was unlocked. */
  cost: number;
  userId?: string;
}

/** An instructor's bonus (points > 0) or penalty (points < 0). */
export interface AwardEvent extends EventBase {
  type: 'award';
  teamId: string;
  points: number;
  reason: string;
  by?: string;
}

export interface FreezeEvent extends EventBase {
  type: 'freeze';
  by?: string;
}

export interface UnfreezeEvent extends EventBase {
  type: 'unfreeze';
  by?: string;
}

export interface ExerciseStartedEvent extends EventBase {
  type: 'exercise-started';
  /** Planned end (epoch ms), when the exercise has one; the server schedules freeze and end from it. */
  endsAt?: number;
}

export interface ExerciseEndedEvent extends EventBase {
  type: 'exercise-ended';
}

export interface Broadcast {
  exerciseId: string;
  /** ISO 8601. */
  at: string;
  message: string;
  /** To this team only (its trainees and the instructors); absent: to every team. */
  teamId?: string;
}

export type HelpRequestState = 'open' | 'acknowledged' | 'resolved';

/** One help request as instructors see it (a team sees it without the instructors' names). */
export interface HelpRequest {
  id: string;
  exerciseId: string;
  teamId: string;
  /** The display name of the trainee who asked. */
  requestedBy: string;
  /** The trainee's short text ('' when they wrote none). */
  message: string;
  objectiveId: string | null;
  host: string | null;
  state: HelpRequestState;
  /** Epoch milliseconds. */
  createdAt: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  resolvedAt: number | null;
  resolvedBy: string | null;
  /** Resolved by the team itself (it no longer needs help), not by an instructor. */
  withdrawn: boolean;
}
