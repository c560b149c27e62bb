import type { AccountService } from '../../accounts/account-service.ts';
import { mustWatchExercise } from '../../access/exercise-access.ts';
import { CyropError } from '../../errors.ts';
import { answerKeyCsv, answerKeyOf } from '../../exercises/answer-key.ts';
import type { ExerciseService } from '../../exercises/exercise-service.ts';
import type { ScenarioGuides } from '../../scenarios/scenario-guide.ts';
import type { ScenarioLibrary } from '../../scenarios/scenario-library.ts';
import { STAFF, type ApiRegistry, type JsonSchema } from '../api-registry.ts';
import { AS_CSV } from '../common-schemas.ts';

export interface ScenarioGuideRouteDeps {
  scenarios: ScenarioLibrary;
  guides: ScenarioGuides;
  accounts: AccountService;
  /** Absent (no engine): no exercise routes. */
  exercises?: ExerciseService;
}

const SCENARIO_ID = { type: 'string', pattern: '^[a-z0-9-]{1,40}$' };
const VERSION = { type: 'string', pattern: '^[0-9A-Za-z.+-]{1,64}$' };
const EXERCISE_ID = { type: 'string', pattern: '^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$' };
const localized = {
  oneOf: [{ type: 'string' }, { type: 'object', additionalProperties: { type: 'string' } }],
};
const strings = { type: 'array', items: { type: 'string' } };

/**
 * The instructor's scenario page (story, objectives with hints and NICE ids, topology, solution) and
 * the per-team answer key of an exercise. Staff only: a scenario version as the catalogue lets the
 * caller see it (another organisation's private one is 404), an exercise as its organisation's staff
 * (404 for others). Reading an answer key is audited (`exercise.answer-key`).
 */
export function scenarioGuideRoutes(
  api: ApiRegistry,
  { scenarios, guides, accounts, exercises }: ScenarioGuideRouteDeps,
): void {
  const guide: JsonSchema = api.schema('ScenarioGuide', {
    type: 'object',
    required: [
      'id',
      'version',
      'contentHash',
      'title',
      'category',
      'difficulty',
      'tags',
      'competencies',
      'objectives',
      'networks',
      'hosts',
      'solution',
      'niceNames',
    ],
    properties: {
      id: { type: 'string' },
      version: { type: 'string' },
      contentHash: { type: 'string' },
      title: localized,
      summary: localized,
      story: localized,
      category: { type: 'string' },
      difficulty: { type: 'string' },
      duration: { type: 'string' },
      tags: strings,
      competencies: {
        type: 'object',
        required: ['framework', 'workRoles', 'statements'],
        properties: {
          framework: { type: ['string', 'null'] },
          workRoles: strings,
          statements: strings,
        },
      },
      objectives: {
        type: 'array',
        items: {
          type: 'object',
          required: ['id', 'kind', 'title', 'points', 'requires', 'competencies', 'hints'],
          properties: {
            id: { type: 'string' },
            kind: { enum: ['flag', 'question', 'check'] },
            title: localized,
            description: localized,
            points: { type: 'integer' },
            requires: strings,
            competencies: strings,
            hints: {
              type: 'array',
              items: {
                type: 'object',
                required: ['id', 'cost', 'text'],
                properties: { id: { type: 'string' }, cost: { type: 'integer' }, text: localized },
              },
            },
            check: {
              type: 'object',
              required: ['host', 'forgeable'],
              properties: {
                host: { type: 'string' },
                from: { type: 'string' },
                forgeable: { type: 'boolean' },
              },
            },
          },
        },
      },
      networks: {
        type: 'array',
        items: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string' }, subnet: { type: 'string' }, description: localized },
        },
      },
      hosts: {
        type: 'array',
        items: {
          type: 'object',
          required: ['name', 'image', 'console', 'traineeControlled', 'networks'],
          properties: {
            name: { type: 'string' },
            image: { type: 'string' },
            description: localized,
            console: { type: 'boolean' },
            traineeControlled: { type: 'boolean' },
            networks: {
              type: 'array',
              items: {
                type: 'object',
                required: ['name', 'aliases'],
                properties: { name: { type: 'string' }, address: { type: 'string' }, aliases: strings },
              },
            },
          },
        },
      },
      niceNames: {
        type: 'object',
        additionalProperties: { type: 'string' },
        description:
          'names of the NICE ids used, from the imported catalogue of the framework (empty without one)',
      },
      solution: {
        type: ['string', 'null'],
        description: "markdown: the README's “How it is solved” section, else solution/README.md",
      },
    },
  });

  api.add<undefined, { id: string; version: string }>({
    method: 'get',
    path: '/api/scenarios/{id}/versions/{version}/guide',
    operationId: 'getScenarioGuide',
    summary:
      "The instructor's page of a scenario version: story, objectives (requires, hints with costs, NICE ids), topology and solution; staff who may see the version",
    tags: ['scenarios'],
    access: STAFF,
    params: { required: ['id', 'version'], properties: { id: SCENARIO_ID, version: VERSION } },
    response: { description: 'the guide', schema: guide },
    handler: async ({ principal, params }) => {
      const entry = scenarios.get(principal, params.id, params.version);
      const file = scenarios.catalogue.pathOf(entry.id, entry.version);
      if (!file) throw new CyropError('NOT_FOUND', `no scenario '${params.id}' at version ${params.version}`);
      return guides.guideOf(file);
    },
  });

  if (!exercises) return;
  const watch = (principal: Parameters<typeof mustWatchExercise>[1], id: string) =>
    mustWatchExercise((p, e) => accounts.canWatchExercise(p, e), principal, id);

  api.add<undefined, { id: string }>({
    method: 'get',
    path: '/api/exercises/{id}/scenario-guide',
    operationId: 'getExerciseScenarioGuide',
    summary:
      'The scenario page of the version an exercise was planned from, with `pinned` (the version and content hash the exercise recorded; `current`: whether the files still have that hash)',
    tags: ['exercises'],
    access: STAFF,
    params: { required: ['id'], properties: { id: EXERCISE_ID } },
    response: {
      description: 'the guide and the exercise',
      schema: {
        type: 'object',
        required: ['exerciseId', 'pinned', 'guide'],
        properties: {
          exerciseId: { type: 'string' },
          pinned: {
            type: 'object',
            properties: {
              version: { type: 'string' },
              hash: { type: 'string' },
              current: { type: 'boolean' },
            },
          },
          guide,
        },
      },
    },
    handler: async ({ principal, params }) => {
      await watch(principal, params.id);
      const exercise = await exercises.get(params.id);
      const found = await guides.guideOf(exercise.scenario.path);
      return {
        exerciseId: exercise.id,
        pinned: {
          version: exercise.scenario.version,
          hash: exercise.scenario.hash,
          current: found.contentHash === exercise.scenario.hash,
        },
        guide: found,
      };
    },
  });

  const expected = {
    oneOf: [
      {
        type: 'object',
        required: ['match', 'value'],
        properties: { match: { const: 'exact' }, value: { type: 'string' } },
      },
      {
        type: 'object',
        required: ['match', 'pattern', 'caseSensitive'],
        properties: {
          match: { const: 'regex' },
          pattern: { type: 'string' },
          caseSensitive: { type: 'boolean' },
        },
      },
      {
        type: 'object',
        required: ['match', 'values', 'caseSensitive'],
        properties: { match: { const: 'any-of' }, values: strings, caseSensitive: { type: 'boolean' } },
      },
      {
        type: 'object',
        required: ['match', 'host', 'run'],
        properties: {
          match: { const: 'check' },
          host: { type: 'string' },
          from: { type: 'string' },
          run: strings,
          user: { type: 'string' },
        },
      },
    ],
  };
  const answerKey = api.schema('AnswerKey', {
    type: 'object',
    required: ['exerciseId', 'scenario', 'teams'],
    properties: {
      exerciseId: { type: 'string' },
      scenario: { type: 'object', properties: { id: { type: 'string' }, version: { type: 'string' } } },
      teams: {
        type: 'array',
        items: {
          type: 'object',
          required: ['teamId', 'teamName', 'objectives'],
          properties: {
            teamId: { type: 'string' },
            teamName: { type: 'string' },
            objectives: {
              type: 'array',
              items: {
                type: 'object',
                required: ['objectiveId', 'kind', 'title', 'points', 'expected'],
                properties: {
                  objectiveId: { type: 'string' },
                  kind: { enum: ['flag', 'question', 'check'] },
                  title: localized,
                  description: localized,
                  points: { type: 'integer' },
                  expected,
                },
              },
            },
          },
        },
      },
    },
  });

  api.add<undefined, { id: string }, { format: 'json' | 'csv'; lang: 'en' | 'ja' }>({
    method: 'get',
    path: '/api/exercises/{id}/answer-key',
    operationId: 'getExerciseAnswerKey',
    summary:
      "Each team's expected flag or answer for each objective (from the plans scoring judges against, derived from the exercise secret), as JSON or CSV (UTF-8 with BOM; titles in `lang`); the exercise's staff only, audited",
    tags: ['exercises'],
    access: STAFF,
    params: { required: ['id'], properties: { id: EXERCISE_ID } },
    query: {
      properties: {
        format: { enum: ['json', 'csv'], default: 'json' },
        lang: { enum: ['en', 'ja'], default: 'en' },
      },
    },
    response: { description: 'the answer key', schema: answerKey, alternatives: [AS_CSV] },
    handler: async ({ principal, params, query, req, res }) => {
      const actor = await watch(principal, params.id);
      const exercise = await exercises.get(params.id);
      const plans = await Promise.all(exercise.teams.map((t) => exercises.plan(params.id, t.id)));
      const key = answerKeyOf(exercise.id, plans);
      await accounts.audit(
        actor,
        'exercise.answer-key',
        exercise.id,
        { format: query.format, teams: key.teams.length },
        { ip: req.ip, orgId: (await accounts.exerciseOrg(exercise.id))?.orgId ?? null },
      );
      res.setHeader('cache-control', 'no-store');
      if (query.format === 'json') return key;
      res
        .status(200)
        .type('text/csv; charset=utf-8')
        .setHeader('content-disposition', `attachment; filename="${exercise.id}-answer-key.csv"`)
        .send(answerKeyCsv(key, query.lang));
      return undefined;
    },
  });
}
