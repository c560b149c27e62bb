import type { JournalEntry } from '../../../contract/business.ts';
import type { Generated } from 'kysely';

/** Table types of the store (snake_case columns, as SQL writes them). */
export interface DatabaseSchema {
  exercises: ExercisesTable;
  exercise_teams: ExerciseTeamsTable;
  meta: { key: string; value: string };
  organisations: OrganisationsTable;
  users: UsersTable;
  sessions: SessionsTable;
  join_codes: JoinCodesTable;
  audit_log: AuditLogTable;
  scoring_events: ScoringEventsTable;
  solves: SolvesTable;
  hint_unlocks: HintUnlocksTable;
  terminal_recordings: TerminalRecordingsTable;
  scenario_ids: ScenarioIdsTable;
  invitations: InvitationsTable;
  exercise_members: ExerciseMembersTable;
  exercise_staff: ExerciseStaffTable;
  scenario_versions: ScenarioVersionsTable;
  org_quotas: OrgQuotasTable;
  help_requests: HelpRequestsTable;
  courses: CoursesTable;
  course_scenarios: CourseScenariosTable;
  course_runs: CourseRunsTable;
  course_enrolments: CourseEnrolmentsTable;
  course_run_exercises: CourseRunExercisesTable;
  journal: JournalTable;
  invoices: InvoicesTable;
  fee_schedules: FeeSchedulesTable;
  org_co_nexus: OrgCoNexusTable;
}

export type ExerciseState = 'created' | 'launching' | 'running' | 'tearing-down' | 'ended';
export type TeamState = 'pending' | 'provisioning' | 'ready' | 'failed' | 'resetting' | 'destroyed';

export interface ExercisesTable {
  id: string;
  scenario_id: string;
  scenario_version: string;
  scenario_hash: string;
  /** Where the scenario came from (a folder or file path), for people. */
  scenario_path: string;
  secret: string;
  state: ExerciseState;
  engine: string;
  created_at: number;
  updated_at: number;
  /** Epoch ms after which the exercise is torn down; null = no expiry. */
  expires_at: number | null;
  /** The owning organisation (accounts); null = the platform operator's. */
  org_id: string | null;
  /** 1 when terminal recordings also capture keystrokes (the trainee is told). */
  record_input: Generated<number>;
  /** At most this many members per team (roster and joins); null = no cap. */
  max_members_per_team: number | null;
  /** The account that launched it; null: launched by the platform, the CLI, or before 0013. */
  created_by: string | null;
}

/** Instructors assigned to an exercise besides its launcher (their class, for analytics). */
export interface ExerciseStaffTable {
  exercise_id: string;
  user_id: string;
  assigned_at: number;
  assigned_by: string;
}

/** The index of terminal session recordings (asciicast files under `<dataDir>/recordings/`). */
export interface TerminalRecordingsTable {
  id: string;
  terminal_id: string;
  exercise_id: string;
  team_id: string;
  host: string;
  /** Display name of whoever opened the shell. */
  opened_by: string;
  /** Who it was: `user:<id>` or `participant:<exercise>/<team>/<name>`. */
  principal: string;
  started_at: number;
  ended_at: number | null;
  bytes: Generated<number>;
  truncated: Generated<number>;
  includes_input: Generated<number>;
}

export interface ExerciseTeamsTable {
  exercise_id: string;
  team_id: string;
  team_name: string;
  team_index: number;
  /** The EnvironmentPlan (JSON): the desired state the engine is reconciled to. */
  plan: string;
  plan_hash: string;
  /**
   * BoundAddresses (JSON) when the engine gave the hosts addresses of its own (Kubernetes): the plan
   * trainees see and are judged against is the stored one bound to these. Null otherwise.
   */
  addresses: string | null;
  state: TeamState;
  attempts: Generated<number>;
  last_error: string | null;
  updated_at: number;
}

/** The scoring event log (see orchestrator/src/scoring-service/scoring-store.ts). */
export interface ScoringEventsTable {
  seq: Generated<number>;
  exercise_id: string;
  team_id: string | null;
  type: string;
  at: number;
  /** The event as JSON, without `seq`. */
  payload: string;
}

export interface SolvesTable {
  exercise_id: string;
  team_id: string;
  objective_id: string;
  seq: number;
  at: number;
}

export interface HintUnlocksTable {
  exercise_id: string;
  team_id: string;
  objective_id: string;
  hint_id: string;
  seq: number;
  at: number;
}

export type OrganisationKind = 'operator' | 'training-company' | 'customer';
export type UserRole = 'operator' | 'org-admin' | 'instructor' | 'trainee';

/** CYNEX member categories (its fee table's rows); null for the platform operator. */
export type OrganisationCategory =
  | 'large-enterprise'
  | 'sme'
  | 'general-incorporated-association'
  | 'npo'
  | 'educational-institution'
  | 'government'
  | 'individual-expert';

/** Every OrganisationCategory (here, where loading it loads nothing else: the CLI's `--category` choices). */
export const ORGANISATION_CATEGORIES: readonly OrganisationCategory[] = [
  'large-enterprise',
  'sme',
  'general-incorporated-association',
  'npo',
  'educational-institution',
  'government',
  'individual-expert',
];

export interface OrganisationsTable {
  id: string;
  name: string;
  kind: OrganisationKind;
  created_at: number;
  category: OrganisationCategory | null;
  contact_name: string | null;
  contact_email: string | null;
  contact_phone: string | null;
  postal_address: string | null;
  /** Qualified-invoice issuer registration number: `T` + 13 digits. */
  invoice_registration_number: string | null;
  /** When it was disabled (its users cannot sign in); null = enabled. */
  disabled_at: number | null;
}

export interface UsersTable {
  id: string;
  org_id: string;
  /** Stored lower-case; unique regardless of case. */
  email: string;
  name: string;
  role: UserRole;
  /** `scrypt$<log2 N>$<r>$<p>$<salt>$<hash>` (base64url). */
  password_hash: string;
  must_change_password: Generated<number>;
  created_at: number;
  disabled: Generated<number>;
  /** The console's language for this user (applied at sign-in); null = the browser's. */
  preferred_language: 'en' | 'ja' | null;
}

export interface SessionsTable {
  /** sha256 (hex) of the cookie's random token. */
  id: string;
  kind: 'user' | 'participant';
  user_id: string | null;
  exercise_id: string | null;
  team_id: string | null;
  display_name: string | null;
  created_at: number;
  /** Absolute expiry (epoch ms); the idle expiry is last_seen_at + the idle timeout. */
  expires_at: number;
  last_seen_at: number;
}

export interface JoinCodesTable {
  code_hash: string;
  exercise_id: string;
  team_id: string;
  created_by: string;
  created_at: number;
  expires_at: number;
  max_uses: number | null;
  uses: Generated<number>;
  /** Public id to list and revoke a code by (the code itself is shown once). */
  id: string;
  label: string | null;
  revoked_at: number | null;
}

export interface InvitationsTable {
  id: string;
  /** sha256 (hex) of the link's token. */
  token_hash: string;
  org_id: string;
  email: string;
  role: 'org-admin' | 'instructor' | 'trainee';
  name: string | null;
  created_by: string;
  created_at: number;
  expires_at: number;
  accepted_at: number | null;
  revoked_at: number | null;
  /** The account the invitation created. */
  user_id: string | null;
}

/** A member of a team of an exercise: from the instructor's roster, or who joined with a code. */
export interface ExerciseMembersTable {
  id: string;
  exercise_id: string;
  team_id: string;
  display_name: string;
  email: string | null;
  user_id: string | null;
  source: 'roster' | 'join';
  created_at: number;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  actor: string;
  org_id: string | null;
  action: string;
  target: string;
  /** JSON object. */
  details: string;
  ip: string | null;
}

/** Which organisation owns an uploaded scenario id (shipped ids are in no row: nobody may take them). */
export interface ScenarioIdsTable {
  id: string;
  org_id: string;
  created_at: number;
}

export type Publication = 'private' | 'requested' | 'published' | 'rejected';

/** One uploaded, immutable scenario version: its owner, its content hash, archive and publication state. */
export interface ScenarioVersionsTable {
  scenario_id: string;
  version: string;
  org_id: string;
  /** sha256 of the scenario's source files, as the compiler computes it (`sourceHash`). */
  content_hash: string;
  created_by: string;
  created_at: number;
  /** Hidden from launch (kept for the exercises that ran it); null = offered. */
  archived_at: number | null;
  publication: Publication;
  /** When the last publication request or decision was made, and by whom. */
  publication_at: number | null;
  publication_by: string | null;
  publication_note: string | null;
}

/** An organisation's quotas set by the operator; a null column: the platform default (configuration). */
export interface OrgQuotasTable {
  org_id: string;
  max_exercises: number | null;
  max_teams: number | null;
  max_hosts: number | null;
  /** CPUs (may be fractional) the live environments may reserve together. */
  max_cpu: number | null;
  max_memory_bytes: number | null;
  max_disk_bytes: number | null;
  default_ttl_ms: number | null;
  max_ttl_ms: number | null;
  updated_at: number;
}

/** A trainee's request for help (orchestrator/src/help-requests/). */
export interface HelpRequestsTable {
  id: string;
  exercise_id: string;
  team_id: string;
  /** The display name of the trainee who asked. */
  requested_by: string;
  message: string;
  objective_id: string | null;
  host: string | null;
  state: 'open' | 'acknowledged' | 'resolved';
  created_at: number;
  acknowledged_at: number | null;
  /** The instructor's name. */
  acknowledged_by: string | null;
  resolved_at: number | null;
  resolved_by: string | null;
}

/** A training company's course (orchestrator/src/courses/). */
export interface CoursesTable {
  id: string;
  org_id: string;
  title_ja: string;
  title_en: string;
  description_ja: string;
  description_en: string;
  /** Integer yen per seat, tax excluded. */
  price_per_seat: number;
  capacity: number;
  /** JSON `CourseSchedule`. */
  schedule: string;
  created_by: string;
  created_at: number;
  updated_at: number;
  archived_at: number | null;
}

/** The scenarios of a course, in order, each pinned to one version. */
export interface CourseScenariosTable {
  course_id: string;
  position: number;
  scenario_id: string;
  scenario_version: string;
}

/** One run of a course for a customer organisation. */
export interface CourseRunsTable {
  id: string;
  course_id: string;
  customer_org_id: string;
  starts_at: number;
  ends_at: number;
  capacity: number;
  price_per_seat: number;
  team_size: number;
  created_by: string;
  created_at: number;
  cancelled_at: number | null;
}

export interface CourseEnrolmentsTable {
  run_id: string;
  user_id: string;
  enrolled_at: number;
  enrolled_by: string;
  withdrawn_at: number | null;
}

/** Which exercise a course run launched for which of its scenarios (position in the course). */
export interface CourseRunExercisesTable {
  exercise_id: string;
  run_id: string;
  position: number;
  created_at: number;
}

export type JournalTable = JournalEntry;

/** Issued invoices and statements (append-only): the InvoiceDocument as JSON. */
export interface InvoicesTable {
  number: string;
  kind: 'usage-fee-statement' | 'participation-fee-invoice';
  org_id: string;
  period_from: string;
  period_to: string;
  issued_on: string;
  due_on: string;
  total_yen: number;
  document: string;
  journal_id: string;
  created_at: number;
}

/** Fee schedule versions (append-only): the FeeSchedule as JSON. */
export interface FeeSchedulesTable {
  version: string;
  effective_from: string;
  body: string;
  created_by: string;
  created_at: number;
}

/** An organisation's Co-Nexus memberships (CYNEX sub-groups). */
export interface OrgCoNexusTable {
  org_id: string;
  name: string;
  joined_on: string;
}
