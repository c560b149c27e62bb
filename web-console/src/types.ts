/**
 * Shapes of the platform API as the console reads them. Type-only imports from the orchestrator:
 * nothing of the server is bundled, but a change of these types breaks the console's type-check.
 */
import type { Principal } from '../../orchestrator/src/api/api-registry.ts';
import type { Diagnostic } from '../../orchestrator/src/compiler/diagnostic.ts';
import type { ExerciseStatus } from '../../orchestrator/src/exercises/exercise-service.ts';
import type { Broadcast } from '../../orchestrator/src/exercises/broadcast-board.ts';
import type { ScenarioCard, ScenarioVersionView } from '../../orchestrator/src/scenarios/scenario-library.ts';
import type { VisibleObjective } from '../../orchestrator/src/scoring/scoreboard-projection.ts';
import type { ResultRow } from '../../orchestrator/src/scoring/export-results.ts';
import type { LockedObjective } from '../../orchestrator/src/scoring-service/team-objectives.ts';

export type {
  Principal,
  Diagnostic,
  ExerciseStatus,
  Broadcast,
  VisibleObjective,
  ResultRow,
  LockedObjective,
};
export type {
  BoardRow,
  ObjectiveStats,
  SharingReport,
  AttemptCounts,
} from '../../orchestrator/src/scoring/scoreboard-projection.ts';
export type { ScoringEvent } from '../../orchestrator/src/scoring/scoring-events.ts';

export type LocalizedText = string | Readonly<Record<string, string>>;

export interface Session {
  principal: Principal;
  mustChangePassword: boolean;
  expiresAt?: number;
}

/** GET /api/scenarios as staff: full entries with owner, archive and publication state. */
export type CatalogueListEntry = Omit<ScenarioVersionView, 'diagnostics'> & { warnings: number };

export interface CatalogueList {
  scenarios: CatalogueListEntry[];
  invalid: { file: string; diagnostics: Diagnostic[] }[];
}

/** GET /api/scenarios anonymously (and for trainees): catalogue cards. */
export interface CardList {
  scenarios: ScenarioCard[];
}

export type ScenarioDetail = ScenarioVersionView;

export type { TeamMember } from '../../orchestrator/src/accounts/team-members.ts';
export type {
  JoinCodeInfo,
  JoinSheetTeam,
  MyExercise,
} from '../../orchestrator/src/accounts/roster-service.ts';
export type { MyCourse } from '../../orchestrator/src/courses/course-service.ts';

/** POST /api/exercises/{id}/roster */
export interface RosterImport {
  added: number;
  invitations: { email: string; link: string }[];
  notInvited: string[];
}

/** GET /api/play/exercise */
export interface PlayExercise {
  exerciseId: string;
  teamId: string;
  teamName: string;
  title: LocalizedText;
  summary?: LocalizedText;
  story?: LocalizedText;
  hosts: {
    name: string;
    console: boolean;
    /** Web services the team opens in the browser (web service tabs). */
    web?: { port: number; title: LocalizedText; path: string }[];
  }[];
  status: string;
  endsAt: string | null;
  recordsInput?: boolean;
  broadcasts: Broadcast[];
}

/** A visible objective; a solved one says what was accepted (the team's own answer, or the check's reason). */
export type PlayObjective = VisibleObjective & { accepted?: string };

export interface PlayObjectives {
  exerciseId: string;
  teamId: string;
  status: string;
  objectives: PlayObjective[];
  /** The objectives not open yet: their titles and what they wait for. */
  locked: LockedObjective[];
}

export type SubmitOutcome = 'correct' | 'wrong' | 'locked' | 'already-solved' | 'closed' | 'rate-limited';

export interface JoinCode {
  code: string;
  exerciseId: string;
  teamId: string;
  expiresAt: number;
  maxUses: number | null;
}

export type {
  Organisation,
  User,
  AuditEntry,
  SessionInfo,
  PlatformCounts,
} from '../../orchestrator/src/accounts/account-service.ts';
export type { PublicationRequest } from '../../orchestrator/src/scenarios/scenario-library.ts';

/** GET /api/admin/health */
export interface PlatformHealth {
  version: string;
  engine: { name: string; ok: boolean; ms: number; error?: string };
  database: { ok: boolean; ms: number };
  counts: import('../../orchestrator/src/accounts/account-service.ts').PlatformCounts;
  startedAt: number;
  checkedAt: number;
}

/** GET /api/account */
export interface Account {
  user: import('../../orchestrator/src/accounts/account-service.ts').User;
  organisation: { id: string; name: string; kind: string };
}

export type {
  ScenarioGuide,
  GuideObjective,
  GuideHost,
} from '../../orchestrator/src/scenarios/scenario-guide.ts';
export type {
  AnswerKey,
  AnswerKeyTeam,
  ExpectedAnswer,
} from '../../orchestrator/src/exercises/answer-key.ts';

/** GET /api/exercises/{id}/scenario-guide */
export interface ExerciseScenarioGuide {
  exerciseId: string;
  /** The version and content hash the exercise was planned from; `current`: the files still have it. */
  pinned: { version: string; hash: string; current: boolean };
  guide: import('../../orchestrator/src/scenarios/scenario-guide.ts').ScenarioGuide;
}
