import type { Generated } from 'kysely';

/** Table types of the store (snake_case columns, as SQL writes them). */
export interface DatabaseSchema {
  exercises: ExercisesTable;
  exercise_teams: ExerciseTeamsTable;
  meta: { key: string; value: string };
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
}

export interface ExerciseTeamsTable {
  exercise_id: string;
  team_id: string;
  team_name: string;
  team_index: number;
  /** The EnvironmentPlan (JSON): the desired state the engine is reconciled to. */
  plan: string;
  plan_hash: string;
  state: TeamState;
  attempts: Generated<number>;
  last_error: string | null;
  updated_at: number;
}
