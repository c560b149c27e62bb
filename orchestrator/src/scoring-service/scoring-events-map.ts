import type {
  AttemptCounts,
  BoardRow,
  ExerciseStatus,
  ObjectiveStats,
  SharingReport,
  VisibleObjective,
} from '../scoring/scoreboard-projection.ts';
import type { ScoringEvent } from '../scoring/scoring-events.ts';
import type { Broadcast } from '../exercises/broadcast-board.ts';
import type { HelpRequest } from '../help-requests/help-request-service.ts';

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

export interface ScoringSocketData {
  principal?: import('../api/api-registry.ts').Principal;
}
