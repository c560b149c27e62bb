/**
 * Shapes of the platform API as the console reads them: every one is taken from the types generated
 * from the server's OpenAPI document (`api-schema.gen.ts`, `npm run gen:api`), so a change of a
 * route's answer breaks the console's type-check. Nothing here is imported from the server. The
 * socket.io messages (not in OpenAPI) come from the shared contract (`contract/` at the repository root).
 */
import type { components, operations } from './api-schema.gen.ts';

type Schemas = components['schemas'];

/** The JSON answer of a successful operation (its 200, 201 or 202 answer). */
export type AnswerOf<O extends keyof operations> = operations[O]['responses'] extends infer R
  ? R extends { 200: { content: { 'application/json': infer T } } }
    ? T
    : R extends { 201: { content: { 'application/json': infer T } } }
      ? T
      : R extends { 202: { content: { 'application/json': infer T } } }
        ? T
        : never
  : never;

export type LocalizedText = string | Readonly<Record<string, string>>;

export type Principal = Schemas['Principal'];
export type Session = Schemas['Session'];

/** GET /api/exercises/{id}: the exercise with the engine's view of each team. */
export type ExerciseStatus = Schemas['ExerciseStatus'];
/** What actions on an exercise answer (no engine view). */
export type ExerciseSummary = Schemas['ExerciseSummary'];

export type Diagnostic = NonNullable<AnswerOf<'validateScenario'>['diagnostics']>[number];

export type BoardRow = Schemas['ScoreboardRow'];
export type ObjectiveStats = Schemas['ObjectiveStats'];
export type SharingReport = Schemas['SharingReport'];
export type AttemptCounts = Schemas['AttemptCounts'];
export type ScoringEvent = Schemas['ScoringEvent'];
export type ResultRow = AnswerOf<'exerciseResults'>[number];

/** GET /api/play/exercise */
export type PlayExercise = AnswerOf<'playExercise'>;
export type Broadcast = PlayExercise['broadcasts'][number];

/** GET /api/play/objectives */
export type PlayObjectives = AnswerOf<'playObjectives'>;
/** A visible objective; a solved one says what was accepted (the team's own answer, or the check's reason). */
export type PlayObjective = PlayObjectives['objectives'][number];
export type VisibleObjective = Omit<PlayObjective, 'accepted'>;
/** The objectives not open yet: their titles and what they wait for. */
export type LockedObjective = PlayObjectives['locked'][number];

/** The answer's outcome, or `rate-limited` (answered as a 429 error with Retry-After). */
export type SubmitOutcome = AnswerOf<'playSubmit'>['outcome'] | 'rate-limited';

/** GET /api/scenarios as staff: full entries with owner, archive and publication state. */
export type CatalogueListEntry = Schemas['CatalogueListEntry'];
export interface CatalogueList {
  scenarios: CatalogueListEntry[];
  invalid: NonNullable<AnswerOf<'listScenarios'>['invalid']>;
}
/** GET /api/scenarios: catalogue cards anonymously and for trainees, full entries for staff. */
export interface CardList {
  scenarios: NonNullable<AnswerOf<'listScenarios'>['scenarios']>;
}
export type ScenarioDetail = Schemas['CatalogueEntry'];

export type TeamMember = Schemas['TeamMember'];
export type JoinCodeInfo = Schemas['JoinCodeInfo'];
export type JoinSheetTeam = NonNullable<AnswerOf<'createJoinSheet'>['teams']>[number];
export type MyCourse = Schemas['MyCourse'];
export type MyExercise = NonNullable<AnswerOf<'listMyExercises'>['exercises']>[number];
/** POST /api/exercises/{id}/roster */
export type RosterImport = AnswerOf<'importRoster'>;
export type JoinCode = AnswerOf<'createJoinCode'>;

export type Organisation = Schemas['Organisation'];
export type User = Schemas['User'];
export type AuditEntry = Schemas['AuditEntry'];
export type SessionInfo = Schemas['SessionInfo'];
export type PublicationRequest = AnswerOf<'listPublicationRequests'>['requests'][number];
/** GET /api/admin/health */
export type PlatformHealth = AnswerOf<'platformHealth'>;
export type PlatformCounts = PlatformHealth['counts'];
/** GET /api/account */
export type Account = Schemas['Account'];

export type ScenarioGuide = Schemas['ScenarioGuide'];
export type GuideObjective = ScenarioGuide['objectives'][number];
export type GuideHost = ScenarioGuide['hosts'][number];
export type AnswerKey = Schemas['AnswerKey'];
export type AnswerKeyTeam = AnswerKey['teams'][number];
export type ExpectedAnswer = AnswerKeyTeam['objectives'][number]['expected'];
/** GET /api/exercises/{id}/scenario-guide */
export type ExerciseScenarioGuide = AnswerOf<'getExerciseScenarioGuide'>;

export type HelpRequest = Schemas['HelpRequest'];
export type RecordingInfo = Schemas['RecordingInfo'];
