import { CyropError } from '../errors.ts';
import { EMPTY_RATE_LIMITER_STATE, recordWrongInPlace, type RateLimiterState } from './rate-limiter.ts';
import type { ScoringExercise, ScoringObjective } from './scoring-exercise.ts';
import {
  isTeamEvent,
  type ScoringEvent,
  type SubmissionEvent,
  type SubmissionOutcome,
  type TeamScoringEvent,
} from './scoring-events.ts';
import { compareStandings, firstBloodBonus, objectiveValue } from './scoring-rules.ts';

/** `public`: what trainees see (frozen while a freeze lasts). `live`: the instructors' board. */
export type BoardView = 'public' | 'live';
export type {
  AttemptCounts,
  BoardRow,
  ExerciseStatus,
  ObjectiveStats,
  SharingReport,
  VisibleObjective,
} from '../../../contract/scoring-events.ts';
import type {
  AttemptCounts,
  BoardRow,
  ExerciseStatus,
  ObjectiveStats,
  SharingReport,
  VisibleObjective,
} from '../../../contract/scoring-events.ts';

export interface SolveRecord {
  readonly seq: number;
  readonly at: number;
  readonly via: 'flag' | 'question' | 'check';
}

/** What one `apply` changed, for small pushes. Row and stats objects are complete (replace by id). */
export interface ProjectionDelta {
  readonly seq: number;
  /** The team whose timeline got the event; null for exercise-wide events (every team's). */
  readonly teamId: string | null;
  readonly board: { readonly live: readonly BoardRow[]; readonly public: readonly BoardRow[] };
  readonly objectives: {
    readonly live: readonly ObjectiveStats[];
    readonly public: readonly ObjectiveStats[];
  };
  /** Objectives that this event unlocked for `teamId`. */
  readonly unlocked: readonly string[];
  readonly sharing: SharingReport | null;
  readonly status: ExerciseStatus;
  readonly frozen: boolean;
}

/** The whole state as plain data: equal snapshots mean equal projections. */
export interface ProjectionSnapshot {
  lastSeq: number;
  status: ExerciseStatus;
  startedAt: number | null;
  endsAt: number | null;
  endedAt: number | null;
  frozen: { seq: number; at: number } | null;
  versions: { live: number; public: number };
  board: { live: BoardRow[]; public: BoardRow[] };
  objectives: { live: ObjectiveStats[]; public: ObjectiveStats[] };
  teams: {
    id: string;
    points: number;
    solves: number;
    lastScoringAt: number | null;
    awards: number;
    hintCost: number;
    solved: ({ objectiveId: string } & SolveRecord)[];
    hints: { objectiveId: string; hintIds: string[] }[];
    timeline: number[];
    attempts: AttemptCounts[];
    rateLimits: { objectiveId: string; wrongAt: number[] }[];
  }[];
  globalTimeline: number[];
  sharing: SharingReport[];
}

interface MutableAttempts {
  outcomes: Record<SubmissionOutcome, number>;
  total: number;
  lastSubmissionAt: number | null;
  checksPassed: number;
  checksFailed: number;
  lastCheckAt: number | null;
}

interface TeamState {
  readonly id: string;
  readonly name: string;
  points: number;
  solves: number;
  lastScoringAt: number | null;
  awards: number;
  hintCost: number;
  readonly solved: Map<string, SolveRecord>;
  readonly hints: Map<string, Set<string>>;
  readonly timeline: TeamScoringEvent[];
  /** By objective index. */
  readonly attempts: (MutableAttempts | undefined)[];
  /** By objective index: recent wrong times, owned here and updated in place (see `recordWrongInPlace`). */
  readonly rateLimits: (number[] | undefined)[];
  /** Last materialised board row; replaced (never mutated) when its content changes. */
  row: BoardRow | undefined;
}

interface ObjectiveState {
  readonly def: ScoringObjective;
  readonly index: number;
  readonly solvers: TeamState[];
  readonly hintCosts: ReadonlyMap<string, number>;
  dependents: ObjectiveState[];
  value: number;
  firstBlood: TeamState | null;
  firstBloodAt: number;
  stats: ObjectiveStats;
}

interface Frozen {
  readonly seq: number;
  readonly at: number;
  readonly rows: readonly BoardRow[];
  readonly objectives: readonly ObjectiveStats[];
  readonly liveVersion: number;
}

interface State {
  readonly teams: TeamState[];
  readonly teamsById: Map<string, TeamState>;
  readonly objectives: ObjectiveState[];
  readonly objectivesById: Map<string, ObjectiveState>;
  /** Teams in board order as of the last refresh. */
  readonly order: TeamState[];
  boardDirty: boolean;
  rows: readonly BoardRow[];
  objectivesDirty: boolean;
  objectiveRows: readonly ObjectiveStats[];
  lastSeq: number;
  status: ExerciseStatus;
  startedAt: number | null;
  endsAt: number | null;
  endedAt: number | null;
  frozen: Frozen | null;
  liveVersion: number;
  publicVersion: number;
  readonly globalTimeline: ScoringEvent[];
  readonly sharing: SharingReport[];
}

/** What applying one event touched, before the board is refreshed. */
interface Effect {
  scoring: boolean;
  objective: ObjectiveState | null;
  unlocked: string[];
  sharing: SharingReport | null;
  unfrozen: Frozen | null;
}

const NO_ROWS: readonly BoardRow[] = Object.freeze([]);
const NO_STATS: readonly ObjectiveStats[] = Object.freeze([]);

/**
 * The in-memory projection of one exercise's scoring log: boards (public and live), per-objective
 * statistics, per-team timelines, attempts, suspected sharing, exercise status, and the per-team
 * facts the decisions need (solved, unlocked, hints, rate-limit windows).
 *
 * `apply(event)` returns a delta; `rebuild(events)` (or `applyAll`) replays a log without deltas and
 * reaches exactly the same state (`snapshot()` is equal). Wrong submissions never touch the board.
 * A scoring event updates O(solvers of that objective) scores (retroactive decay) and re-sorts the
 * board, which is nearly sorted, so V8's TimSort takes about linear time; reads return the
 * materialised rows.
 *
 * Freeze: from a `freeze` event until `unfreeze`, the public board and objective statistics are the
 * ones of the freeze moment — points, solve counts, first bloods and dynamic values alike — while the
 * live board moves on. A team still sees its own solves, hints and unlocked objectives.
 */
export class ScoreboardProjection {
  readonly exercise: ScoringExercise;
  private st: State;

  constructor(exercise: ScoringExercise) {
    this.exercise = exercise;
    this.st = initialState(exercise);
  }

  static rebuild(exercise: ScoringExercise, events: Iterable<ScoringEvent>): ScoreboardProjection {
    const projection = new ScoreboardProjection(exercise);
    projection.applyAll(events);
    return projection;
  }

  /** Forgets everything and replays `events`. */
  rebuild(events: Iterable<ScoringEvent>): void {
    this.st = initialState(this.exercise);
    this.applyAll(events);
  }

  /** Applies events in bulk: the same state as applying them one by one, without computing deltas. */
  applyAll(events: Iterable<ScoringEvent>): void {
    const scratch = newEffect(); // one reused record: bulk replay allocates nothing per event for it
    for (const event of events) {
      scratch.scoring = false;
      scratch.objective = null;
      scratch.unlocked.length = 0;
      scratch.sharing = null;
      scratch.unfrozen = null;
      this.applyEvent(event, scratch);
    }
    this.refreshBoard();
    this.refreshObjectives();
  }

  apply(event: ScoringEvent): ProjectionDelta {
    this.refreshBoard(); // materialise anything applied in bulk, so the delta covers only this event
    this.refreshObjectives();
    const effect = newEffect();
    this.applyEvent(event, effect);
    const st = this.st;
    let live: readonly BoardRow[] = NO_ROWS;
    let liveStats: readonly ObjectiveStats[] = NO_STATS;
    if (effect.scoring) live = this.refreshBoard();
    if (effect.objective) {
      this.refreshObjectives();
      liveStats = [effect.objective.stats];
    }
    let publicRows: readonly BoardRow[] = NO_ROWS;
    let publicStats: readonly ObjectiveStats[] = NO_STATS;
    if (effect.unfrozen) {
      const before = new Set<object>(effect.unfrozen.rows);
      publicRows = st.rows.filter((row) => !before.has(row));
      const statsBefore = new Set<object>(effect.unfrozen.objectives);
      publicStats = st.objectiveRows.filter((stats) => !statsBefore.has(stats));
    } else if (!st.frozen) {
      publicRows = live;
      publicStats = liveStats;
    }
    return {
      seq: event.seq,
      teamId: isTeamEvent(event) ? event.teamId : null,
      board: { live, public: publicRows },
      objectives: { live: liveStats, public: publicStats },
      unlocked: effect.unlocked,
      sharing: effect.sharing,
      status: st.status,
      frozen: st.frozen !== null,
    };
  }

  // ── reads ──────────────────────────────────────────────────────────────────────────────────

  get lastSeq(): number {
    return this.st.lastSeq;
  }

  get status(): ExerciseStatus {
    return this.st.status;
  }

  /** The freeze in force (its event's seq and time), or null. */
  get frozen(): { readonly seq: number; readonly at: number } | null {
    const f = this.st.frozen;
    return f ? { seq: f.seq, at: f.at } : null;
  }

  /** Changes exactly when the view's rows change (the seq of the event that last changed them): an ETag. */
  version(view: BoardView): number {
    return view === 'live' ? this.st.liveVersion : this.st.publicVersion;
  }

  board(view: BoardView): readonly BoardRow[] {
    if (view === 'public' && this.st.frozen) return this.st.frozen.rows;
    this.refreshBoard();
    return this.st.rows;
  }

  row(teamId: string, view: BoardView): BoardRow {
    const team = this.team(teamId);
    if (view === 'public' && this.st.frozen) {
      const row = this.st.frozen.rows.find((r) => r.teamId === teamId);
      if (row) return row;
    }
    this.refreshBoard();
    if (!team.row) throw new CyropError('INTERNAL', `no board row for team ${teamId}`);
    return team.row;
  }

  objectiveStats(view: BoardView): readonly ObjectiveStats[] {
    if (view === 'public' && this.st.frozen) return this.st.frozen.objectives;
    this.refreshObjectives();
    return this.st.objectiveRows;
  }

  /**
   * The events that matter to a team, in log order: its own and the exercise-wide ones. For the
   * team's own eyes (`audience: 'team'`) an other-team submission reads as a plain wrong answer.
   */
  timeline(teamId: string, audience: 'team' | 'instructor' = 'instructor'): ScoringEvent[] {
    const own = this.team(teamId).timeline;
    const global = this.st.globalTimeline;
    const merged: ScoringEvent[] = [];
    let i = 0;
    let j = 0;
    while (i < own.length || j < global.length) {
      const a = own[i];
      const b = global[j];
      if (a && (!b || a.seq < b.seq)) {
        merged.push(audience === 'team' ? forTeam(a) : a);
        i++;
      } else if (b) {
        merged.push(b);
        j++;
      }
    }
    return merged;
  }

  /** Submission and check activity of one team per objective (objective order), for instructors. */
  attempts(teamId: string): AttemptCounts[] {
    const team = this.team(teamId);
    const out: AttemptCounts[] = [];
    for (const objective of this.st.objectives) {
      const a = team.attempts[objective.index];
      if (a) out.push({ objectiveId: objective.def.id, ...a, outcomes: { ...a.outcomes } });
    }
    return out;
  }

  sharingReports(): readonly SharingReport[] {
    return this.st.sharing;
  }

  isSolved(teamId: string, objectiveId: string): boolean {
    return this.team(teamId).solved.has(this.objective(objectiveId).def.id);
  }

  solveOf(teamId: string, objectiveId: string): SolveRecord | undefined {
    return this.team(teamId).solved.get(this.objective(objectiveId).def.id);
  }

  /** An objective is locked for a team until the team has solved everything it `requires`. */
  isUnlocked(teamId: string, objectiveId: string): boolean {
    const team = this.team(teamId);
    return this.objective(objectiveId).def.requires.every((id) => team.solved.has(id));
  }

  hintUnlocked(teamId: string, objectiveId: string, hintId: string): boolean {
    return this.team(teamId).hints.get(this.objective(objectiveId).def.id)?.has(hintId) ?? false;
  }

  rateLimiterState(teamId: string, objectiveId: string): RateLimiterState {
    const times = this.team(teamId).rateLimits[this.objective(objectiveId).index];
    return times ? { wrongAt: [...times] } : EMPTY_RATE_LIMITER_STATE;
  }

  /** The unlocked objectives of a team, in scenario order, with public values and the team's progress. */
  visibleObjectives(teamId: string): VisibleObjective[] {
    const team = this.team(teamId);
    const stats = this.objectiveStats('public');
    const out: VisibleObjective[] = [];
    for (const objective of this.st.objectives) {
      const def = objective.def;
      if (!def.requires.every((id) => team.solved.has(id))) continue;
      const planned = this.exercise.answers.objective(team.id, def.id);
      const solve = team.solved.get(def.id);
      const unlocked = team.hints.get(def.id);
      const s = stats[objective.index];
      out.push({
        id: def.id,
        kind: def.kind,
        title: def.title,
        ...(planned?.description !== undefined ? { description: planned.description } : {}),
        ...(def.kind === 'question'
          ? { question: planned?.question?.text !== undefined ? { text: planned.question.text } : {} }
          : {}),
        competencies: def.competencies,
        value: s?.value ?? 0,
        solves: s?.solves ?? 0,
        solved: solve !== undefined,
        solvedAt: solve?.at ?? null,
        hints: def.hints.map((h) => {
          const open = solve !== undefined || (unlocked?.has(h.id) ?? false);
          const text = planned?.hints.find((p) => p.id === h.id)?.text;
          return {
            id: h.id,
            cost: h.cost,
            unlocked: unlocked?.has(h.id) ?? false,
            ...(open && text !== undefined ? { text } : {}),
          };
        }),
        ...(planned?.check?.everyMs !== undefined ? { checkEveryMs: planned.check.everyMs } : {}),
      });
    }
    return out;
  }

  snapshot(): ProjectionSnapshot {
    const st = this.st;
    this.refreshBoard();
    this.refreshObjectives();
    return {
      lastSeq: st.lastSeq,
      status: st.status,
      startedAt: st.startedAt,
      endsAt: st.endsAt,
      endedAt: st.endedAt,
      frozen: st.frozen ? { seq: st.frozen.seq, at: st.frozen.at } : null,
      versions: { live: st.liveVersion, public: st.publicVersion },
      board: { live: st.rows.map((r) => ({ ...r })), public: this.board('public').map((r) => ({ ...r })) },
      objectives: {
        live: st.objectiveRows.map(copyStats),
        public: this.objectiveStats('public').map(copyStats),
      },
      teams: st.teams.map((t) => ({
        id: t.id,
        points: t.points,
        solves: t.solves,
        lastScoringAt: t.lastScoringAt,
        awards: t.awards,
        hintCost: t.hintCost,
        solved: [...t.solved].map(([objectiveId, r]) => ({ objectiveId, ...r })),
        hints: [...t.hints].map(([objectiveId, ids]) => ({ objectiveId, hintIds: [...ids] })),
        timeline: t.timeline.map((e) => e.seq),
        attempts: this.attempts(t.id),
        rateLimits: st.objectives.flatMap((o) => {
          const s = t.rateLimits[o.index];
          return s ? [{ objectiveId: o.def.id, wrongAt: [...s] }] : [];
        }),
      })),
      globalTimeline: st.globalTimeline.map((e) => e.seq),
      sharing: st.sharing.map((s) => ({ ...s, ownerTeamIds: [...s.ownerTeamIds] })),
    };
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────

  private team(teamId: string): TeamState {
    const team = this.st.teamsById.get(teamId);
    if (!team) throw new CyropError('NOT_FOUND', `no team ${teamId} in exercise ${this.exercise.exerciseId}`);
    return team;
  }

  private objective(objectiveId: string): ObjectiveState {
    const objective = this.st.objectivesById.get(objectiveId);
    if (!objective) throw new CyropError('NOT_FOUND', `no objective ${objectiveId} in this exercise`);
    return objective;
  }

  /** Re-sorts and re-materialises the live rows if needed; returns the rows whose content changed. */
  private refreshBoard(): BoardRow[] {
    const st = this.st;
    if (!st.boardDirty) return [];
    st.order.sort(compareTeams);
    const rows = new Array<BoardRow>(st.order.length);
    const changed: BoardRow[] = [];
    for (let i = 0; i < st.order.length; i++) {
      const t = st.order[i] as TeamState;
      let row = t.row;
      if (
        !row ||
        row.rank !== i + 1 ||
        row.points !== t.points ||
        row.solves !== t.solves ||
        row.lastScoringAt !== t.lastScoringAt
      ) {
        row = Object.freeze({
          rank: i + 1,
          teamId: t.id,
          teamName: t.name,
          points: t.points,
          solves: t.solves,
          lastScoringAt: t.lastScoringAt,
        });
        t.row = row;
        changed.push(row);
      }
      rows[i] = row;
    }
    st.rows = changed.length > 0 ? Object.freeze(rows) : st.rows;
    st.boardDirty = false;
    return changed;
  }

  private refreshObjectives(): void {
    const st = this.st;
    if (!st.objectivesDirty) return;
    st.objectiveRows = Object.freeze(st.objectives.map((o) => o.stats));
    st.objectivesDirty = false;
  }

  private applyEvent(event: ScoringEvent, effect: Effect): void {
    const st = this.st;
    if (!Number.isSafeInteger(event.seq) || event.seq <= st.lastSeq)
      throw new CyropError(
        'CONFLICT',
        `event seq ${event.seq} does not follow ${st.lastSeq}: the log must be applied in order, once`,
      );
    switch (event.type) {
      case 'submission':
        this.applySubmission(event, effect);
        break;
      case 'solve': {
        const team = this.team(event.teamId);
        const objective = this.objective(event.objectiveId);
        if (team.solved.has(objective.def.id))
          throw new CyropError(
            'CONFLICT',
            `team ${team.id} already solved ${objective.def.id} (event ${event.seq})`,
          );
        this.applySolve(team, objective, event.seq, event.at, event.via, effect);
        team.timeline.push(event);
        break;
      }
      case 'check-result': {
        const team = this.team(event.teamId);
        const objective = this.objective(event.objectiveId);
        const a = attemptsOf(team, objective.index);
        if (event.passed) a.checksPassed++;
        else a.checksFailed++;
        a.lastCheckAt = event.at;
        team.timeline.push(event);
        break;
      }
      case 'hint-unlock': {
        const team = this.team(event.teamId);
        const objective = this.objective(event.objectiveId);
        if (!objective.hintCosts.has(event.hintId))
          throw new CyropError('NOT_FOUND', `objective ${objective.def.id} has no hint ${event.hintId}`);
        let hints = team.hints.get(objective.def.id);
        if (!hints) team.hints.set(objective.def.id, (hints = new Set()));
        if (hints.has(event.hintId))
          throw new CyropError(
            'CONFLICT',
            `team ${team.id} already unlocked hint ${event.hintId} of ${objective.def.id}`,
          );
        hints.add(event.hintId);
        if (event.cost !== 0) {
          team.hintCost += event.cost;
          team.points -= event.cost;
          if (event.cost > 0) team.lastScoringAt = laterOf(team.lastScoringAt, event.at);
          this.touch(event.seq, effect);
        }
        team.timeline.push(event);
        break;
      }
      case 'award': {
        const team = this.team(event.teamId);
        if (event.points !== 0) {
          team.awards += event.points;
          team.points += event.points;
          team.lastScoringAt = laterOf(team.lastScoringAt, event.at);
          this.touch(event.seq, effect);
        }
        team.timeline.push(event);
        break;
      }
      case 'freeze':
        if (!st.frozen) {
          this.refreshBoard();
          this.refreshObjectives();
          st.frozen = {
            seq: event.seq,
            at: event.at,
            rows: st.rows,
            objectives: st.objectiveRows,
            liveVersion: st.liveVersion,
          };
        }
        st.globalTimeline.push(event);
        break;
      case 'unfreeze':
        if (st.frozen) {
          if (st.liveVersion !== st.frozen.liveVersion) st.publicVersion = event.seq;
          effect.unfrozen = st.frozen;
          st.frozen = null;
          this.refreshBoard();
          this.refreshObjectives();
        }
        st.globalTimeline.push(event);
        break;
      case 'exercise-started':
        st.status = 'running';
        st.startedAt = event.at;
        st.endsAt = event.endsAt ?? null;
        st.endedAt = null;
        st.globalTimeline.push(event);
        break;
      case 'exercise-ended':
        st.status = 'ended';
        st.endedAt = event.at;
        st.globalTimeline.push(event);
        break;
      default:
        throw new CyropError('BAD_REQUEST', `unknown scoring event ${JSON.stringify(event)}`);
    }
    st.lastSeq = event.seq;
  }

  private applySubmission(event: SubmissionEvent, effect: Effect): void {
    const team = this.team(event.teamId);
    const objective = this.objective(event.objectiveId);
    const a = attemptsOf(team, objective.index);
    a.outcomes[event.outcome]++;
    a.total++;
    a.lastSubmissionAt = event.at;
    if (event.outcome === 'wrong' || event.outcome === 'other-team') {
      let times = team.rateLimits[objective.index];
      if (!times) team.rateLimits[objective.index] = times = [];
      recordWrongInPlace(times, event.at, this.exercise.rateLimit);
    }
    if (event.outcome === 'other-team') {
      const report: SharingReport = {
        seq: event.seq,
        at: event.at,
        teamId: team.id,
        objectiveId: objective.def.id,
        ownerTeamIds: [...(event.ownerTeamIds ?? [])],
        ...(event.userId !== undefined ? { userId: event.userId } : {}),
      };
      this.st.sharing.push(report);
      effect.sharing = report;
    }
    team.timeline.push(event);
  }

  /**
   * One more solve of `objective`: its value moves from V(n) to V(n + 1) for every earlier solver
   * (and the first-blood bonus with it), the new solver gets V(n + 1), plus the bonus if first.
   */
  private applySolve(
    team: TeamState,
    objective: ObjectiveState,
    seq: number,
    at: number,
    via: SolveRecord['via'],
    effect: Effect,
  ): void {
    const { scoring } = this.exercise;
    const percent = scoring.firstBloodBonusPercent;
    const oldValue = objective.value;
    const newValue = objectiveValue(scoring, objective.def.points, objective.solvers.length + 1);
    if (newValue !== oldValue) {
      const change = newValue - oldValue;
      for (const solver of objective.solvers) solver.points += change;
      if (objective.firstBlood)
        objective.firstBlood.points +=
          firstBloodBonus(newValue, percent) - firstBloodBonus(oldValue, percent);
    }
    objective.value = newValue;
    objective.solvers.push(team);
    team.points += newValue;
    if (!objective.firstBlood) {
      objective.firstBlood = team;
      objective.firstBloodAt = at;
      team.points += firstBloodBonus(newValue, percent);
    }
    team.solved.set(objective.def.id, { seq, at, via });
    team.solves++;
    if (objective.def.points > 0) team.lastScoringAt = laterOf(team.lastScoringAt, at);
    objective.stats = Object.freeze({
      objectiveId: objective.def.id,
      solves: objective.solvers.length,
      value: newValue,
      firstBlood: Object.freeze({ teamId: objective.firstBlood.id, at: objective.firstBloodAt }),
    });
    this.st.objectivesDirty = true;
    effect.objective = objective;
    for (const dependent of objective.dependents)
      if (!team.solved.has(dependent.def.id) && dependent.def.requires.every((id) => team.solved.has(id)))
        effect.unlocked.push(dependent.def.id);
    this.touch(seq, effect);
  }

  /** The live board changed with event `seq`; so did the public one unless frozen. */
  private touch(seq: number, effect: Effect): void {
    const st = this.st;
    st.boardDirty = true;
    st.liveVersion = seq;
    if (!st.frozen) st.publicVersion = seq;
    effect.scoring = true;
  }
}

function initialState(exercise: ScoringExercise): State {
  const teams: TeamState[] = exercise.teams.map((t) => ({
    id: t.id,
    name: t.name,
    points: 0,
    solves: 0,
    lastScoringAt: null,
    awards: 0,
    hintCost: 0,
    solved: new Map(),
    hints: new Map(),
    timeline: [],
    attempts: new Array<MutableAttempts | undefined>(exercise.objectives.length).fill(undefined),
    rateLimits: new Array<number[] | undefined>(exercise.objectives.length).fill(undefined),
    row: undefined,
  }));
  const objectives: ObjectiveState[] = exercise.objectives.map((def, index) => {
    const value = objectiveValue(exercise.scoring, def.points, 0);
    return {
      def,
      index,
      solvers: [],
      hintCosts: new Map(def.hints.map((h) => [h.id, h.cost])),
      dependents: [],
      value,
      firstBlood: null,
      firstBloodAt: 0,
      stats: Object.freeze({ objectiveId: def.id, solves: 0, value, firstBlood: null }),
    };
  });
  const objectivesById = new Map(objectives.map((o) => [o.def.id, o]));
  for (const o of objectives) o.dependents = objectives.filter((d) => d.def.requires.includes(o.def.id));
  return {
    teams,
    teamsById: new Map(teams.map((t) => [t.id, t])),
    objectives,
    objectivesById,
    order: [...teams],
    boardDirty: true,
    rows: NO_ROWS,
    objectivesDirty: true,
    objectiveRows: NO_STATS,
    lastSeq: 0,
    status: 'pending',
    startedAt: null,
    endsAt: null,
    endedAt: null,
    frozen: null,
    liveVersion: 0,
    publicVersion: 0,
    globalTimeline: [],
    sharing: [],
  };
}

function newEffect(): Effect {
  return { scoring: false, objective: null, unlocked: [], sharing: null, unfrozen: null };
}

function compareTeams(a: TeamState, b: TeamState): number {
  return compareStandings(
    { teamId: a.id, points: a.points, lastScoringAt: a.lastScoringAt },
    { teamId: b.id, points: b.points, lastScoringAt: b.lastScoringAt },
  );
}

function laterOf(current: number | null, at: number): number {
  return current === null || at > current ? at : current;
}

function attemptsOf(team: TeamState, objectiveIndex: number): MutableAttempts {
  let a = team.attempts[objectiveIndex];
  if (!a) {
    // a literal, so every counter object has the same fast shape
    const outcomes: Record<SubmissionOutcome, number> = {
      correct: 0,
      wrong: 0,
      'other-team': 0,
      'rate-limited': 0,
      locked: 0,
      'already-solved': 0,
      closed: 0,
    };
    a = { outcomes, total: 0, lastSubmissionAt: null, checksPassed: 0, checksFailed: 0, lastCheckAt: null };
    team.attempts[objectiveIndex] = a;
  }
  return a;
}

function copyStats(s: ObjectiveStats): ObjectiveStats {
  return { ...s, firstBlood: s.firstBlood ? { ...s.firstBlood } : null };
}

/** The team's own view of its event: another team's flag is just a wrong answer to them. */
function forTeam(event: TeamScoringEvent): TeamScoringEvent {
  if (event.type !== 'submission' || event.outcome !== 'other-team') return event;
  const copy: SubmissionEvent = { ...event, outcome: 'wrong', reason: 'no-match' };
  delete copy.ownerTeamIds;
  return copy;
}
