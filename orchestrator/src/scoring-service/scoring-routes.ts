import { LOCALIZED_TEXT } from '../api/common-schemas.ts';
import type { Request, Response } from 'express';
import { STAFF, type ApiRegistry, type JsonSchema, type Principal } from '../api/api-registry.ts';
import { mustWatchExercise } from '../access/exercise-access.ts';
import type { LocalizedText } from '../compiler/scenario.ts';
import { CyropError } from '../errors.ts';
import { MAX_SUBMISSION_BYTES } from '../scoring/check-answer.ts';
import type {
  BoardRow,
  BoardView,
  ObjectiveStats,
  ScoreboardProjection,
  VisibleObjective,
} from '../scoring/scoreboard-projection.ts';
import type { ScoringEvent } from '../scoring/scoring-events.ts';
import type { ScoringService } from './scoring-service.ts';
import { acceptedAnswers, lockedObjectives } from './team-objectives.ts';

export interface ScoringRouteDeps {
  service: ScoringService;
  /** Whether a user may see everything of an exercise (an instructor of its organisation). */
  canWatch: (principal: Principal, exerciseId: string) => boolean | Promise<boolean>;
}

type Participant = Extract<Principal, { kind: 'participant' }>;

const ID = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' } as const;
const INSTRUCTORS = STAFF;
/** At most this many events in a staff timeline answer (the newest). */
const STAFF_TIMELINE_LIMIT = 500;
const LANG = { type: 'string', pattern: '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$' } as const;

/**
 * The scoring API. Participants (`/api/play/*`) act for their own team of their own exercise only
 * (both come from the principal, never from the request). Instructors (`/api/exercises/{id}/*`)
 * need one of the roles and `canWatch`. Writes answer only after their events are committed.
 */
export function scoringRoutes(api: ApiRegistry, deps: ScoringRouteDeps): void {
  const { service } = deps;
  const participant = (principal: Principal | undefined): Participant => {
    if (principal?.kind !== 'participant')
      throw new CyropError('FORBIDDEN', 'only members of a team may do this');
    return principal;
  };
  const watch = async (principal: Principal | undefined, exerciseId: string) => {
    await mustWatchExercise(deps.canWatch, principal, exerciseId);
    return service.load(exerciseId);
  };

  const boardRow = api.schema('ScoreboardRow', {
    type: 'object',
    required: ['rank', 'teamId', 'teamName', 'points', 'solves', 'lastScoringAt'],
    properties: {
      rank: { type: 'integer' },
      teamId: { type: 'string' },
      teamName: { type: 'string' },
      points: { type: 'integer' },
      solves: { type: 'integer' },
      lastScoringAt: { type: ['integer', 'null'] },
    },
  });
  const objectiveStats = api.schema('ObjectiveStats', {
    type: 'object',
    required: ['objectiveId', 'solves', 'value', 'firstBlood'],
    properties: {
      objectiveId: { type: 'string' },
      solves: { type: 'integer' },
      value: { type: 'integer' },
      firstBlood: {
        type: ['object', 'null'],
        properties: { teamId: { type: 'string' }, at: { type: 'integer' } },
      },
    },
  });
  const scoringEvent = api.schema('ScoringEvent', SCORING_EVENT);
  const attemptCounts = api.schema('AttemptCounts', ATTEMPT_COUNTS);
  const sharingReport = api.schema('SharingReport', {
    type: 'object',
    required: ['seq', 'at', 'teamId', 'objectiveId', 'ownerTeamIds'],
    properties: {
      seq: { type: 'integer' },
      at: { type: 'integer' },
      teamId: { type: 'string' },
      objectiveId: { type: 'string' },
      ownerTeamIds: { type: 'array', items: { type: 'string' } },
      userId: { type: 'string' },
    },
  });
  const board = {
    type: 'object',
    required: ['exerciseId', 'seq', 'status', 'frozen', 'version', 'board', 'objectives'],
    properties: {
      exerciseId: { type: 'string' },
      seq: { type: 'integer' },
      status: { enum: ['pending', 'running', 'ended'] },
      frozen: { type: 'boolean' },
      version: { type: 'integer' },
      board: { type: 'array', items: boardRow },
      objectives: { type: 'array', items: objectiveStats },
    },
  } satisfies JsonSchema;
  const objectiveRef = (extra: Record<string, JsonSchema> = {}, required: string[] = []): JsonSchema => ({
    type: 'object',
    additionalProperties: false,
    required: ['objective', ...required],
    properties: { objective: ID, ...extra },
  });

  // ── participants ──────────────────────────────────────────────────────────────────────────

  api.add<undefined, Record<string, string>, { lang?: string }>({
    method: 'get',
    path: '/api/play/objectives',
    operationId: 'playObjectives',
    summary:
      "The objectives the team can see now, with the team's progress and what was accepted; the locked ones by title",
    tags: ['play'],
    access: 'participant',
    query: { properties: { lang: LANG } },
    response: {
      description:
        'visible objectives in scenario order (a solved one with `accepted`: the team’s own accepted ' +
        'answer, or the passing check’s reason), and `locked`: the others, with the titles of the ' +
        'objectives they wait for; texts in `lang` when given, else every language',
      schema: {
        type: 'object',
        required: ['exerciseId', 'teamId', 'status', 'objectives', 'locked'],
        properties: {
          exerciseId: { type: 'string' },
          teamId: { type: 'string' },
          status: { type: 'string' },
          objectives: { type: 'array', items: VISIBLE_OBJECTIVE_WITH_ACCEPTED },
          locked: { type: 'array', items: LOCKED_OBJECTIVE },
        },
      },
    },
    handler: async ({ principal, query }) => {
      const p = participant(principal);
      const projection = await service.load(p.exerciseId);
      const accepted = acceptedAnswers(projection, p.teamId);
      const objectives = projection.visibleObjectives(p.teamId).map((o) => {
        const answer = accepted.get(o.id);
        return answer !== undefined ? { ...o, accepted: answer } : o;
      });
      const lang = query.lang;
      const locked = lockedObjectives(projection, p.teamId);
      return {
        exerciseId: p.exerciseId,
        teamId: p.teamId,
        status: projection.status,
        objectives: lang ? objectives.map((o) => localize(o, lang)) : objectives,
        locked: lang
          ? locked.map((o) => ({
              ...o,
              title: pick(o.title, lang),
              requires: o.requires.map((r) => ({ id: r.id, title: pick(r.title, lang) })),
            }))
          : locked,
      };
    },
  });

  api.add<{ objective: string; answer: string }>({
    method: 'post',
    path: '/api/play/submissions',
    operationId: 'playSubmit',
    summary: "Submit a flag or an answer for one of the team's objectives",
    tags: ['play'],
    access: 'participant',
    body: objectiveRef({ answer: { type: 'string', maxLength: MAX_SUBMISSION_BYTES } }, ['answer']),
    response: {
      description: 'the outcome, once recorded; `rate-limited` is answered with 429 and Retry-After instead',
      schema: {
        type: 'object',
        required: ['outcome'],
        properties: {
          outcome: { enum: ['correct', 'wrong', 'locked', 'already-solved', 'closed'] },
          points: { type: 'integer' },
        },
      },
    },
    handler: async ({ principal, body, res }) => {
      const p = participant(principal);
      if (Buffer.byteLength(body.answer, 'utf8') > MAX_SUBMISSION_BYTES)
        throw new CyropError('BAD_REQUEST', `an answer is at most ${MAX_SUBMISSION_BYTES} bytes of UTF-8`);
      const result = await service.submit(p.exerciseId, p.teamId, body.objective, body.answer, p.userId);
      if (result.outcome === 'rate-limited') {
        const retryAfterMs = result.retryAfterMs ?? 60_000;
        res.setHeader('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
        throw new CyropError('RATE_LIMITED', 'too many wrong answers for this objective; wait a little', {
          details: { outcome: 'rate-limited', retryAfterMs },
        });
      }
      return { outcome: result.outcome, ...(result.points !== undefined ? { points: result.points } : {}) };
    },
  });

  api.add<{ objective: string; hint: string }>({
    method: 'post',
    path: '/api/play/hints',
    operationId: 'playUnlockHint',
    summary: 'Unlock a hint (its cost is charged once, from now on)',
    tags: ['play'],
    access: 'participant',
    body: objectiveRef({ hint: ID }, ['hint']),
    response: {
      description: 'the outcome and, when readable, the hint text',
      schema: {
        type: 'object',
        required: ['outcome', 'cost'],
        properties: { outcome: { type: 'string' }, cost: { type: 'integer' }, text: {} },
      },
    },
    handler: async ({ principal, body }) => {
      const p = participant(principal);
      return service.unlockHint(p.exerciseId, p.teamId, body.objective, body.hint, p.userId);
    },
  });

  api.add<{ objective: string }>({
    method: 'post',
    path: '/api/play/checks',
    operationId: 'playRunCheck',
    summary: "Run an objective's check in the team's environment now",
    tags: ['play'],
    access: 'participant',
    body: objectiveRef(),
    response: {
      description: 'whether the check passed and whether that solved the objective',
      schema: {
        type: 'object',
        required: ['passed', 'solved', 'exitCode', 'timedOut', 'durationMs'],
        properties: {
          passed: { type: 'boolean' },
          solved: { type: 'boolean' },
          exitCode: { type: ['integer', 'null'] },
          timedOut: { type: 'boolean' },
          durationMs: { type: 'integer' },
          reason: {
            type: 'string',
            description: "the check's one-line reason (first line it printed), empty when none",
          },
        },
      },
    },
    handler: async ({ principal, body, res }) => {
      const p = participant(principal);
      try {
        const { passed, solved, exitCode, timedOut, durationMs, reason } = await service.runCheck(
          p.exerciseId,
          p.teamId,
          body.objective,
        );
        return { passed, solved, exitCode, timedOut, durationMs, reason };
      } catch (error) {
        const retryAfterMs = (error as { details?: { retryAfterMs?: number } }).details?.retryAfterMs;
        if (retryAfterMs !== undefined)
          res.setHeader('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
        throw error;
      }
    },
  });

  api.add({
    method: 'get',
    path: '/api/play/scoreboard',
    operationId: 'playScoreboard',
    summary: "The public scoreboard (frozen while a freeze lasts) and the team's own live row",
    tags: ['play'],
    access: 'participant',
    response: {
      description: "the public board, and in `team` the team's own live row",
      schema: { ...board, properties: { ...board.properties, team: boardRow } },
      others: [NOT_MODIFIED],
    },
    handler: async ({ principal, req, res }) => {
      const p = participant(principal);
      const projection = await service.load(p.exerciseId);
      sendBoard(req, res, p.exerciseId, projection, 'public', p.teamId);
      return undefined;
    },
  });

  api.add({
    method: 'get',
    path: '/api/play/timeline',
    operationId: 'playTimeline',
    summary: "The team's own events (as the team sees them) and its attempts per objective",
    tags: ['play'],
    access: 'participant',
    response: {
      description: 'timeline and attempts',
      schema: {
        type: 'object',
        required: ['teamId', 'events', 'attempts'],
        properties: {
          teamId: { type: 'string' },
          events: { type: 'array', items: scoringEvent },
          attempts: { type: 'array', items: attemptCounts },
        },
      },
    },
    handler: async ({ principal }) => {
      const p = participant(principal);
      const projection = await service.load(p.exerciseId);
      return {
        teamId: p.teamId,
        events: projection.timeline(p.teamId, 'team'),
        attempts: projection.attempts(p.teamId),
      };
    },
  });

  // ── instructors ───────────────────────────────────────────────────────────────────────────

  const exerciseParams = { required: ['id'], properties: { id: ID } };
  const VIEW = { enum: ['live', 'public'], default: 'live' };

  api.add<undefined, { id: string }, { view: 'live' | 'public' }>({
    method: 'get',
    path: '/api/exercises/{id}/scoreboard',
    operationId: 'exerciseScoreboard',
    summary: 'The scoreboard of an exercise (live by default; `public` is what trainees see)',
    tags: ['scoring'],
    access: INSTRUCTORS,
    params: exerciseParams,
    query: { properties: { view: VIEW } },
    response: { description: 'the board', schema: board, others: [NOT_MODIFIED] },
    handler: async ({ principal, params, query, req, res }) => {
      const projection = await watch(principal, params.id);
      sendBoard(req, res, params.id, projection, query.view);
      return undefined;
    },
  });

  api.add<undefined, { id: string }>({
    method: 'get',
    path: '/api/exercises/{id}/attempts',
    operationId: 'exerciseAttempts',
    summary: 'Submission and check activity per team and objective',
    tags: ['scoring'],
    access: INSTRUCTORS,
    params: exerciseParams,
    response: {
      description: 'attempt counts per team',
      schema: {
        type: 'object',
        required: ['exerciseId', 'teams'],
        properties: {
          exerciseId: { type: 'string' },
          teams: {
            type: 'array',
            items: {
              type: 'object',
              required: ['teamId', 'attempts'],
              properties: { teamId: { type: 'string' }, attempts: { type: 'array', items: attemptCounts } },
            },
          },
        },
      },
    },
    handler: async ({ principal, params }) => {
      const projection = await watch(principal, params.id);
      return {
        exerciseId: params.id,
        teams: projection.exercise.teams.map((t) => ({ teamId: t.id, attempts: projection.attempts(t.id) })),
      };
    },
  });

  api.add<undefined, { id: string }, { team?: string }>({
    method: 'get',
    path: '/api/exercises/{id}/timeline',
    operationId: 'exerciseTimeline',
    summary: "Scoring events as instructors see them: one team's, or every team's (newest last)",
    tags: ['scoring'],
    access: INSTRUCTORS,
    params: exerciseParams,
    query: { properties: { team: ID } },
    response: {
      description: `the last ${STAFF_TIMELINE_LIMIT} events in log order (exercise-wide ones once); \`truncated\` when older ones were left out`,
      schema: {
        type: 'object',
        required: ['exerciseId', 'teamId', 'events', 'truncated'],
        properties: {
          exerciseId: { type: 'string' },
          teamId: { type: ['string', 'null'] },
          events: { type: 'array', items: scoringEvent },
          truncated: { type: 'boolean' },
        },
      },
    },
    handler: async ({ principal, params, query }) => {
      const projection = await watch(principal, params.id);
      const teamIds = query.team !== undefined ? [query.team] : projection.exercise.teams.map((t) => t.id);
      const bySeq = new Map<number, ScoringEvent>();
      for (const teamId of teamIds)
        for (const e of projection.timeline(teamId, 'instructor')) bySeq.set(e.seq, e);
      const events = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
      return {
        exerciseId: params.id,
        teamId: query.team ?? null,
        events: events.slice(-STAFF_TIMELINE_LIMIT),
        truncated: events.length > STAFF_TIMELINE_LIMIT,
      };
    },
  });

  api.add<undefined, { id: string }>({
    method: 'get',
    path: '/api/exercises/{id}/sharing',
    operationId: 'exerciseSharing',
    summary: "Suspected flag sharing: submissions of another team's flag",
    tags: ['scoring'],
    access: INSTRUCTORS,
    params: exerciseParams,
    response: {
      description: 'sharing reports in log order',
      schema: {
        type: 'object',
        required: ['exerciseId', 'reports'],
        properties: { exerciseId: { type: 'string' }, reports: { type: 'array', items: sharingReport } },
      },
    },
    handler: async ({ principal, params }) => {
      const projection = await watch(principal, params.id);
      return { exerciseId: params.id, reports: projection.sharingReports() };
    },
  });

  api.add<undefined, { id: string }, { format: 'csv' | 'json'; view: 'live' | 'public' }>({
    method: 'get',
    path: '/api/exercises/{id}/results',
    operationId: 'exerciseResults',
    summary: 'Results, one row per team × objective and per award, as CSV or JSON',
    tags: ['scoring'],
    access: INSTRUCTORS,
    params: exerciseParams,
    query: { properties: { format: { enum: ['csv', 'json'], default: 'json' }, view: VIEW } },
    response: {
      description: 'the results file: JSON rows (`format=json`, the default) or CSV (`format=csv`)',
      schema: { type: 'array', items: RESULT_ROW },
      alternatives: [{ contentType: 'text/csv', schema: { type: 'string' } }],
    },
    handler: async ({ principal, params, query, res }) => {
      const projection = await watch(principal, params.id);
      const body = service.exportResults(projection, query.format, query.view);
      res
        .status(200)
        .type(query.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
        .setHeader('content-disposition', `attachment; filename="${params.id}-results.${query.format}"`)
        .send(body);
      return undefined;
    },
  });

  api.add<{ team: string; points: number; reason: string }, { id: string }>({
    method: 'post',
    path: '/api/exercises/{id}/awards',
    operationId: 'exerciseAward',
    summary: 'Give a team a bonus (points > 0) or a penalty (points < 0)',
    tags: ['scoring'],
    access: INSTRUCTORS,
    params: exerciseParams,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['team', 'points', 'reason'],
      properties: {
        team: ID,
        points: { type: 'integer', minimum: -1_000_000, maximum: 1_000_000, not: { const: 0 } },
        reason: { type: 'string', minLength: 1, maxLength: 500 },
      },
    },
    response: {
      status: 201,
      description: 'the award, recorded',
      schema: { type: 'object', required: ['seq'], properties: { seq: { type: 'integer' } } },
    },
    handler: async ({ principal, params, body }) => {
      await watch(principal, params.id);
      const by = principal?.kind === 'user' ? principal.userId : undefined;
      return service.award(params.id, {
        teamId: body.team,
        points: body.points,
        reason: body.reason,
        ...(by !== undefined ? { by } : {}),
      });
    },
  });

  api.add<{ action: 'start' | 'end' | 'freeze' | 'unfreeze'; endsAt?: number }, { id: string }>({
    method: 'post',
    path: '/api/exercises/{id}/scoring/status',
    operationId: 'exerciseScoringStatus',
    summary: 'Start or end scoring, freeze or unfreeze the public board',
    tags: ['scoring'],
    access: INSTRUCTORS,
    params: exerciseParams,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['action'],
      properties: {
        action: { enum: ['start', 'end', 'freeze', 'unfreeze'] },
        endsAt: { type: 'integer', minimum: 0 },
      },
    },
    response: {
      description: 'the log position after the change',
      schema: { type: 'object', required: ['seq'], properties: { seq: { type: 'integer' } } },
    },
    handler: async ({ principal, params, body }) => {
      await watch(principal, params.id);
      const by = principal?.kind === 'user' ? principal.userId : undefined;
      switch (body.action) {
        case 'start':
          return service.start(params.id, body.endsAt !== undefined ? { endsAt: body.endsAt } : {});
        case 'end':
          return service.end(params.id);
        case 'freeze':
          return service.freeze(params.id, by);
        case 'unfreeze':
          return service.unfreeze(params.id, by);
      }
    },
  });
}

/**
 * The serialised rows and objective statistics of a board view, by identity: the projection returns
 * the same frozen array until the view's content changes (then a new one), so an entry is valid
 * exactly as long as its key is the current array, and dropped with it (weak keys).
 */
const boardJson = new WeakMap<readonly BoardRow[] | readonly ObjectiveStats[], string>();

function cachedJson(value: readonly BoardRow[] | readonly ObjectiveStats[]): string {
  let json = boardJson.get(value);
  if (json === undefined) boardJson.set(value, (json = JSON.stringify(value)));
  return json;
}

/**
 * Sends a board view (plus the team's own live row for a participant) from the cached JSON of its
 * rows and statistics, with an ETag on the log position: every change of the body (rows, stats,
 * status, freeze, the team's row, `seq` itself) is an event, and a committed seq is never reused.
 * A matching If-None-Match is answered 304 without a body.
 */
/** `sendBoard`'s answer to a matching If-None-Match. */
const NOT_MODIFIED = {
  status: 304,
  description: 'unchanged since the ETag given in If-None-Match (no body)',
};

function sendBoard(
  req: Request,
  res: Response,
  exerciseId: string,
  projection: ScoreboardProjection,
  view: BoardView,
  teamId?: string,
): void {
  const seq = projection.lastSeq;
  const who = teamId !== undefined ? `-${encodeURIComponent(teamId)}` : '';
  const etag = `"${encodeURIComponent(exerciseId)}-${seq}-${view}${who}"`;
  res.setHeader('etag', etag);
  res.setHeader('cache-control', 'private, no-cache');
  if (ifNoneMatch(req.headers['if-none-match'], etag)) {
    res.status(304).end();
    return;
  }
  // the keys in the order of the schema (and of the objects previously returned)
  const body =
    `{"exerciseId":${JSON.stringify(exerciseId)},"seq":${seq},"status":${JSON.stringify(projection.status)}` +
    `,"frozen":${projection.frozen !== null},"version":${projection.version(view)}` +
    `,"board":${cachedJson(projection.board(view))},"objectives":${cachedJson(projection.objectiveStats(view))}` +
    (teamId !== undefined ? `,"team":${JSON.stringify(projection.row(teamId, 'live'))}` : '') +
    '}';
  res.status(200).type('application/json').send(body);
}

function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === etag || t === `W/${etag}`;
  });
}

function pick(text: LocalizedText, lang: string): string {
  if (typeof text === 'string') return text;
  return text[lang] ?? text[lang.split('-')[0] ?? ''] ?? text['en'] ?? Object.values(text)[0] ?? '';
}

/** One objective with every text in `lang` (falling back to English, then any language). */
function localize<T extends VisibleObjective>(o: T, lang: string): T {
  return {
    ...o,
    title: pick(o.title, lang),
    ...(o.description !== undefined ? { description: pick(o.description, lang) } : {}),
    ...(o.question
      ? { question: o.question.text !== undefined ? { text: pick(o.question.text, lang) } : {} }
      : {}),
    hints: o.hints.map((h) => ({ ...h, ...(h.text !== undefined ? { text: pick(h.text, lang) } : {}) })),
  };
}

const OBJECTIVE_KIND: JsonSchema = { enum: ['flag', 'question', 'check'] };

/** `VisibleObjective` (scoring/scoreboard-projection.ts): no flags, answers or check commands. */
export const VISIBLE_OBJECTIVE: JsonSchema = {
  type: 'object',
  required: ['id', 'kind', 'title', 'competencies', 'value', 'solves', 'solved', 'solvedAt', 'hints'],
  properties: {
    id: { type: 'string' },
    kind: OBJECTIVE_KIND,
    title: LOCALIZED_TEXT,
    description: LOCALIZED_TEXT,
    question: { type: 'object', properties: { text: LOCALIZED_TEXT } },
    competencies: { type: 'array', items: { type: 'string' } },
    value: { type: 'integer' },
    solves: { type: 'integer' },
    solved: { type: 'boolean' },
    solvedAt: { type: ['integer', 'null'] },
    hints: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'cost', 'unlocked'],
        properties: {
          id: { type: 'string' },
          cost: { type: 'integer' },
          unlocked: { type: 'boolean' },
          text: LOCALIZED_TEXT,
        },
      },
    },
    checkEveryMs: { type: 'integer' },
  },
};

const VISIBLE_OBJECTIVE_WITH_ACCEPTED: JsonSchema = {
  ...VISIBLE_OBJECTIVE,
  properties: {
    ...(VISIBLE_OBJECTIVE.properties as Record<string, JsonSchema>),
    accepted: {
      type: 'string',
      description: "a solved one: the team's accepted answer, or the check's reason",
    },
  },
};

/** `LockedObjective` (scoring-service/team-objectives.ts). */
const LOCKED_OBJECTIVE: JsonSchema = {
  type: 'object',
  required: ['id', 'kind', 'title', 'requires'],
  properties: {
    id: { type: 'string' },
    kind: { type: 'string' },
    title: LOCALIZED_TEXT,
    requires: {
      type: 'array',
      description: 'the objectives still to solve before this one opens, in scenario order',
      items: {
        type: 'object',
        required: ['id', 'title'],
        properties: { id: { type: 'string' }, title: LOCALIZED_TEXT },
      },
    },
  },
};

const SUBMISSION_OUTCOME: JsonSchema = {
  enum: ['correct', 'wrong', 'other-team', 'rate-limited', 'locked', 'already-solved', 'closed'],
};

/** `AttemptCounts` (scoring/scoreboard-projection.ts). */
const ATTEMPT_COUNTS: JsonSchema = {
  type: 'object',
  required: [
    'objectiveId',
    'outcomes',
    'total',
    'lastSubmissionAt',
    'checksPassed',
    'checksFailed',
    'lastCheckAt',
  ],
  properties: {
    objectiveId: { type: 'string' },
    outcomes: {
      type: 'object',
      required: ['correct', 'wrong', 'other-team', 'rate-limited', 'locked', 'already-solved', 'closed'],
      properties: Object.fromEntries(
        ['correct', 'wrong', 'other-team', 'rate-limited', 'locked', 'already-solved', 'closed'].map((o) => [
          o,
          { type: 'integer' },
        ]),
      ),
    },
    total: { type: 'integer' },
    lastSubmissionAt: { type: ['integer', 'null'] },
    checksPassed: { type: 'integer' },
    checksFailed: { type: 'integer' },
    lastCheckAt: { type: ['integer', 'null'] },
  },
};

/** One member of `ScoringEvent` (scoring/scoring-events.ts): `seq`, `at`, its `type` and fields. */
function eventSchema(type: string, required: string[], properties: Record<string, JsonSchema>): JsonSchema {
  return {
    type: 'object',
    required: ['seq', 'at', 'type', ...required],
    properties: { seq: { type: 'integer' }, at: { type: 'integer' }, type: { const: type }, ...properties },
  };
}

const STRING: JsonSchema = { type: 'string' };
const INTEGER: JsonSchema = { type: 'integer' };

/** `ScoringEvent` (scoring/scoring-events.ts), as the timelines answer it. */
const SCORING_EVENT: JsonSchema = {
  oneOf: [
    eventSchema('submission', ['teamId', 'objectiveId', 'outcome', 'textSha256'], {
      teamId: STRING,
      objectiveId: STRING,
      outcome: SUBMISSION_OUTCOME,
      textSha256: STRING,
      textExcerpt: STRING,
      reason: { enum: ['empty', 'too-long', 'no-match'] },
      ownerTeamIds: { type: 'array', items: STRING },
      userId: STRING,
    }),
    eventSchema('solve', ['teamId', 'objectiveId', 'via'], {
      teamId: STRING,
      objectiveId: STRING,
      via: { enum: ['flag', 'question', 'check'] },
      userId: STRING,
    }),
    eventSchema(
      'check-result',
      ['teamId', 'objectiveId', 'passed', 'exitCode', 'outputExcerpt', 'durationMs'],
      {
        teamId: STRING,
        objectiveId: STRING,
        passed: { type: 'boolean' },
        exitCode: { type: ['integer', 'null'] },
        outputExcerpt: STRING,
        durationMs: INTEGER,
      },
    ),
    eventSchema('hint-unlock', ['teamId', 'objectiveId', 'hintId', 'cost'], {
      teamId: STRING,
      objectiveId: STRING,
      hintId: STRING,
      cost: INTEGER,
      userId: STRING,
    }),
    eventSchema('award', ['teamId', 'points', 'reason'], {
      teamId: STRING,
      points: INTEGER,
      reason: STRING,
      by: STRING,
    }),
    eventSchema('freeze', [], { by: STRING }),
    eventSchema('unfreeze', [], { by: STRING }),
    eventSchema('exercise-started', [], { endsAt: INTEGER }),
    eventSchema('exercise-ended', [], {}),
  ],
};

/** `ResultRow` (scoring/export-results.ts): one per team × objective, and one per award. */
const RESULT_ROW: JsonSchema = {
  type: 'object',
  required: [
    'exerciseId',
    'scenarioId',
    'scenarioVersion',
    'scenarioHash',
    'rank',
    'teamId',
    'teamName',
    'kind',
    'objectiveId',
    'solved',
    'time',
    'via',
    'points',
    'firstBlood',
    'hintsUsed',
    'hintIds',
    'hintCost',
    'net',
    'note',
  ],
  properties: {
    exerciseId: STRING,
    scenarioId: STRING,
    scenarioVersion: STRING,
    scenarioHash: STRING,
    rank: INTEGER,
    teamId: STRING,
    teamName: STRING,
    kind: { enum: ['objective', 'award'] },
    objectiveId: { type: ['string', 'null'] },
    solved: { type: 'boolean' },
    time: { type: ['string', 'null'], description: 'ISO 8601 (UTC); null when unsolved' },
    via: { enum: ['flag', 'question', 'check', null] },
    points: INTEGER,
    firstBlood: { type: 'boolean' },
    hintsUsed: INTEGER,
    hintIds: { type: 'array', items: STRING },
    hintCost: INTEGER,
    net: INTEGER,
    note: STRING,
  },
};
