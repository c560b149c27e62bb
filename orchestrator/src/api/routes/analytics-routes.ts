import type { Response } from 'express';
import { mustWatchExercise } from '../../access/exercise-access.ts';
import type { Principal } from '../../access/principal.ts';
import { coverageCsv, gapsCsv, usageCsv } from '../../analytics/analytics-format.ts';
import { parseInstant } from '../../analytics/period.ts';
import type { AnalyticsService, MaterialScope } from '../../analytics/analytics-service.ts';
import type { PdfRenderer } from '../../documents/pdf-renderer.ts';
import { transcriptCsv } from '../../documents/transcript-csv.ts';
import { CyropError } from '../../errors.ts';
import { NICE_FRAMEWORKS, type NiceFramework } from '../../nice/nice-catalogue.ts';
import { STAFF, type ApiRegistry, type JsonSchema } from '../api-registry.ts';
import { AS_CSV, AS_PDF } from '../common-schemas.ts';

export interface AnalyticsRouteDeps {
  analytics: AnalyticsService;
  canWatch: (principal: Principal, exerciseId: string) => boolean | Promise<boolean>;
  /** Writes an audit entry (the account service's audit log): who gave whom access to a class. */
  audit: (
    actor: Principal,
    action: string,
    target: string,
    details: Record<string, unknown>,
  ) => Promise<void>;
  /** Renders transcripts as PDF in worker threads (one per server, closed with it). */
  pdf: PdfRenderer;
}

const ID = { type: 'string', pattern: '^[A-Za-z0-9:_-]{1,80}$' };
const EXERCISE_ID = { type: 'string', pattern: '^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$' };
const ROLE = { type: 'string', pattern: '^[A-Z]{2}-[A-Z]{3}-\\d{3}$' };
const FRAMEWORK = { enum: [...NICE_FRAMEWORKS], default: 'nice-2.1.0' };
/** A framework version in an answer (`NiceFramework` of contract/analytics.ts). */
const FRAMEWORK_ID = { enum: [...NICE_FRAMEWORKS] };
const STATEMENT_TYPE = { enum: ['task', 'knowledge', 'skill', 'ability'] };
const INTEGER = { type: 'integer' };
const NULLABLE_STRING = { anyOf: [{ type: 'string' }, { type: 'null' }] };
/** An object whose every property is required (the contract's shapes have no optional fields). */
const all = (properties: Record<string, unknown>) => ({
  type: 'object',
  required: Object.keys(properties),
  properties,
});
const ID_LIST = { type: 'string', pattern: '^[a-z0-9-]{1,40}(,[a-z0-9-]{1,40}){0,199}$' };
const INSTANT = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}(T[0-9:.]+(Z|[+-]\\d{2}:\\d{2}))?$' };
const fractionSchema = {
  type: 'object',
  required: ['covered', 'total', 'percent'],
  properties: {
    covered: { type: 'integer' },
    total: { type: 'integer' },
    percent: { type: ['number', 'null'] },
  },
};
const localized = {
  oneOf: [{ type: 'string' }, { type: 'object', additionalProperties: { type: 'string' } }],
};

interface ScopeQuery {
  framework: NiceFramework;
  scope: 'shipped' | 'available' | 'org' | 'scenarios';
  org?: string;
  scenarios?: string;
  format: 'json' | 'csv';
}

const scopeQuery = {
  framework: FRAMEWORK,
  scope: {
    enum: ['shipped', 'available', 'org', 'scenarios'],
    default: 'shipped',
    description:
      'shipped: the shipped catalogue; available: what the caller may launch; org: an organisation’s own uploads (`org`); scenarios: the ids in `scenarios`',
  },
  org: ID,
  scenarios: { ...ID_LIST, description: 'comma-separated scenario ids (scope=scenarios)' },
  format: { enum: ['json', 'csv'], default: 'json' },
};

function scopeOf(q: ScopeQuery, principal: Principal | undefined): MaterialScope {
  switch (q.scope) {
    case 'shipped':
      return { kind: 'shipped' };
    case 'available':
      return { kind: 'available' };
    case 'org': {
      const orgId = q.org ?? (principal?.kind === 'user' ? principal.orgId : undefined);
      if (orgId === undefined) throw new CyropError('BAD_REQUEST', 'scope=org needs org=<organisation id>');
      return { kind: 'org', orgId };
    }
    case 'scenarios':
      if (q.scenarios === undefined)
        throw new CyropError('BAD_REQUEST', 'scope=scenarios needs scenarios=<id,id,…>');
      return { kind: 'scenarios', ids: q.scenarios.split(',') };
  }
}

const STR = { type: 'string' };
/** Text in both interface languages (`Bilingual` of contract/documents.ts). */
const BILINGUAL_TEXT = { type: 'object', required: ['en', 'ja'], properties: { en: STR, ja: STR } };

function sendCsv(res: Response, name: string, text: string): void {
  res
    .status(200)
    .type('text/csv; charset=utf-8')
    .setHeader('content-disposition', `attachment; filename="${name}.csv"`)
    .send(text);
}

/**
 * Competency analytics: NICE coverage and gaps of a set of materials (staff), skills evidence of a
 * trainee or a team (the trainee themselves, the team's participants, the staff who may see the
 * exercises — 404 for everyone else), a class report, transcript data, and material use.
 */
export function analyticsRoutes(
  api: ApiRegistry,
  { analytics, canWatch, audit, pdf: renderer }: AnalyticsRouteDeps,
): void {
  const roleRow = {
    type: 'object',
    required: ['id', 'name', 'category', 'covered', 'total', 'percent', 'namedBy', 'byType'],
    properties: {
      id: { type: 'string' },
      name: { type: 'string' },
      category: { type: 'string', description: 'category (role group) id; its name is in `categories`' },
      ...fractionSchema.properties,
      namedBy: { type: 'integer' },
      byType: {
        type: 'object',
        description: 'the role’s statements by type: covered of the role’s statements of that type',
        additionalProperties: fractionSchema,
      },
    },
  };
  const figures = {
    overall: fractionSchema,
    byType: { type: 'object', additionalProperties: fractionSchema },
    byRole: { type: 'array', items: roleRow },
  };
  const coverage: JsonSchema = api.schema('NiceCoverage', {
    type: 'object',
    required: [
      'framework',
      'categories',
      'universe',
      'overall',
      'byType',
      'byRole',
      'materials',
      'otherIds',
      'scope',
      'sourceVersion',
    ],
    properties: {
      framework: FRAMEWORK_ID,
      sourceVersion: { type: 'string' },
      categories: {
        type: 'array',
        description: 'the framework’s categories (role groups) with NIST’s names, from its NIST file',
        items: {
          type: 'object',
          required: ['id', 'name'],
          properties: { id: { type: 'string' }, name: { type: 'string' } },
        },
      },
      universe: { type: 'string', description: 'what the denominators count' },
      ...figures,
      materials: all({
        total: INTEGER,
        direct: INTEGER,
        otherFramework: INTEGER,
        unmapped: INTEGER,
        covering: INTEGER,
      }),
      otherIds: {
        type: 'array',
        description: 'ids of direct materials that are not statements of the catalogue, per material',
        items: all({ material: STR, id: STR, reason: { enum: ['competency-area', 'unknown'] } }),
      },
      scope: {
        description: 'the materials counted, as asked',
        anyOf: [
          all({ kind: { enum: ['shipped'] } }),
          all({ kind: { enum: ['available'] } }),
          all({ kind: { enum: ['org'] }, orgId: STR }),
          all({ kind: { enum: ['scenarios'] }, ids: { type: 'array', items: STR } }),
        ],
      },
      crosswalked: {
        ...all({
          ...figures,
          addedOnly: fractionSchema,
          sources: {
            type: 'array',
            items: all({ material: STR, framework: FRAMEWORK_ID, crossed: INTEGER, notCrossed: INTEGER }),
          },
          rule: STR,
        }),
        description: 'only with crosswalk=true: direct ∪ crosswalked, never mixed into the figures above',
      },
    },
  });

  api.add({
    method: 'get',
    path: '/api/analytics/config',
    operationId: 'getAnalyticsConfig',
    summary:
      'What the analytics pages need first: every NICE framework version (id, NIST’s name, imported or not), the one to open with, and the platform’s time zone',
    tags: ['analytics'],
    access: 'authenticated',
    response: {
      description: 'the configuration',
      schema: api.schema('AnalyticsConfig', {
        type: 'object',
        required: ['frameworks', 'defaultFramework', 'timeZone'],
        properties: {
          frameworks: {
            type: 'array',
            items: {
              type: 'object',
              required: ['id', 'label', 'sourceVersion', 'imported'],
              properties: {
                id: { enum: [...NICE_FRAMEWORKS] },
                label: { type: 'string' },
                sourceVersion: { type: ['string', 'null'] },
                imported: { type: 'boolean' },
              },
            },
          },
          defaultFramework: { enum: [...NICE_FRAMEWORKS] },
          timeZone: {
            type: 'string',
            description:
              'the platform’s reporting time zone (IANA): the zone of calendar dates on documents and of YYYY-MM-DD periods',
          },
        },
      }),
    },
    handler: () => analytics.config(),
  });

  api.add<undefined, Record<string, string>, ScopeQuery & { role?: string; crosswalk: boolean }>({
    method: 'get',
    path: '/api/analytics/coverage',
    operationId: 'getNiceCoverage',
    summary:
      'NICE coverage of a set of materials: overall, by statement type and by work role, each as covered/total (CSV: UTF-8 with BOM)',
    tags: ['analytics'],
    access: STAFF,
    query: { properties: { ...scopeQuery, role: ROLE, crosswalk: { type: 'boolean', default: false } } },
    response: { description: 'the coverage', schema: coverage, alternatives: [AS_CSV] },
    handler: async ({ principal, query, res }) => {
      const report = await analytics.coverage(principal, {
        framework: query.framework,
        scope: scopeOf(query, principal),
        ...(query.role !== undefined ? { role: query.role } : {}),
        crosswalk: query.crosswalk,
      });
      if (query.format !== 'csv') return report;
      sendCsv(res, `coverage-${report.framework}`, coverageCsv(report));
      return undefined;
    },
  });

  api.add<undefined, Record<string, string>, ScopeQuery & { role: string }>({
    method: 'get',
    path: '/api/analytics/gaps',
    operationId: 'getNiceGaps',
    summary:
      "A work role's statements that no material covers, sorted (tasks, knowledge, skills, abilities; by id), with NIST's text",
    tags: ['analytics'],
    access: STAFF,
    query: { required: ['role'], properties: { ...scopeQuery, role: ROLE } },
    response: {
      description: 'the gaps',
      schema: api.schema('NiceGaps', {
        type: 'object',
        required: ['framework', 'role', 'coverage', 'gaps'],
        properties: {
          framework: FRAMEWORK_ID,
          role: all({ id: STR, name: STR }),
          coverage: fractionSchema,
          gaps: { type: 'array', items: all({ id: STR, type: STATEMENT_TYPE, text: STR }) },
        },
      }),
      alternatives: [AS_CSV],
    },
    handler: async ({ principal, query, res }) => {
      const report = await analytics.gaps(principal, {
        framework: query.framework,
        scope: scopeOf(query, principal),
        role: query.role,
      });
      if (query.format !== 'csv') return report;
      sendCsv(res, `gaps-${report.role.id}`, gapsCsv(report));
      return undefined;
    },
  });

  const evidence: JsonSchema = api.schema('SkillsEvidence', {
    type: 'object',
    required: ['subject', 'exercises', 'frameworks', 'unresolved'],
    properties: {
      subject: {
        anyOf: [
          all({ kind: { enum: ['trainee'] }, userId: STR }),
          all({ kind: { enum: ['team'] }, exerciseId: STR, teamId: STR }),
        ],
      },
      exercises: {
        type: 'array',
        items: all({
          exerciseId: STR,
          orgId: NULLABLE_STRING,
          teamId: STR,
          teamName: STR,
          startedAt: INTEGER,
          scenario: all({ id: STR, version: STR, title: localized, framework: NULLABLE_STRING }),
          objectivesTotal: INTEGER,
          objectivesSolved: {
            type: 'array',
            items: all({
              id: STR,
              title: localized,
              solvedAt: INTEGER,
              solvedBy: NULLABLE_STRING,
              statementIds: { type: 'array', items: STR },
            }),
          },
          scenarioStatements: {
            description: "the scenario's own statements, when every objective was solved",
            anyOf: [all({ at: INTEGER, statementIds: { type: 'array', items: STR } }), { type: 'null' }],
          },
        }),
      },
      frameworks: {
        type: 'array',
        items: all({
          framework: FRAMEWORK_ID,
          catalogueImported: { type: 'boolean' },
          statements: {
            type: 'array',
            items: all({
              id: STR,
              type: STATEMENT_TYPE,
              text: STR,
              firstAt: INTEGER,
              exerciseIds: { type: 'array', items: STR },
            }),
          },
          roles: {
            type: 'array',
            items: all({ id: STR, name: STR, demonstrated: INTEGER, total: INTEGER }),
          },
        }),
      },
      unresolved: { type: 'array', items: all({ exerciseId: STR, scenario: STR, reason: STR }) },
    },
  });

  api.add<undefined, { userId: string }, { role?: string }>({
    method: 'get',
    path: '/api/analytics/trainees/{userId}/evidence',
    operationId: 'getTraineeEvidence',
    summary:
      "A trainee's skills evidence: solved objectives and the NICE statements they evidence, when and in which exercise, progress per work role. The trainee: all; the operator: all; org-admins and instructors: their organisation's exercises; others 404",
    tags: ['analytics'],
    access: 'authenticated',
    params: { required: ['userId'], properties: { userId: ID } },
    query: { properties: { role: ROLE } },
    response: { description: 'the evidence', schema: evidence },
    handler: async ({ principal, params, query }) =>
      analytics.traineeEvidence(
        principal,
        params.userId,
        query.role !== undefined ? { role: query.role } : {},
      ),
  });

  api.add<undefined, { id: string; teamId: string }, { role?: string }>({
    method: 'get',
    path: '/api/analytics/exercises/{id}/teams/{teamId}/evidence',
    operationId: 'getTeamEvidence',
    summary:
      "A team's skills evidence in one exercise (anonymous joins included): the team's participants and the exercise's staff; others 404",
    tags: ['analytics'],
    access: 'authenticated',
    params: { required: ['id', 'teamId'], properties: { id: EXERCISE_ID, teamId: ID } },
    query: { properties: { role: ROLE } },
    response: { description: 'the evidence', schema: evidence },
    handler: async ({ principal, params, query }) =>
      analytics.teamEvidence(
        principal,
        params.id,
        params.teamId,
        canWatch,
        query.role !== undefined ? { role: query.role } : {},
      ),
  });

  const assignment = api.schema('ExerciseInstructor', {
    type: 'object',
    required: ['exerciseId', 'userId', 'assigned'],
    properties: { exerciseId: { type: 'string' }, userId: { type: 'string' }, assigned: { type: 'boolean' } },
  });
  const instructors = api.schema('ExerciseInstructors', {
    type: 'object',
    required: ['exerciseId', 'instructors', 'mayAssign', 'candidates'],
    properties: {
      exerciseId: { type: 'string' },
      instructors: {
        type: 'array',
        description: 'the launcher first, then the assigned instructors by name',
        items: {
          type: 'object',
          required: ['userId', 'name', 'role', 'launcher', 'assignedAt'],
          properties: {
            userId: { type: 'string' },
            name: { type: 'string' },
            role: { type: ['string', 'null'] },
            launcher: { type: 'boolean' },
            assignedAt: { type: ['integer', 'null'], description: 'ms since the epoch; null: not assigned' },
          },
        },
      },
      mayAssign: { type: 'boolean', description: 'the caller may assign and take off instructors' },
      candidates: {
        type: 'array',
        description: "the organisation's enabled instructors (empty unless mayAssign)",
        items: {
          type: 'object',
          required: ['userId', 'name'],
          properties: { userId: { type: 'string' }, name: { type: 'string' } },
        },
      },
    },
  });
  api.add<undefined, { id: string }>({
    method: 'get',
    path: '/api/exercises/{id}/instructors',
    operationId: 'listExerciseInstructors',
    summary:
      "The instructors of an exercise (who read its class evidence besides the organisation's org-admins): its launcher and the assigned ones; for the operator and the organisation's org-admins also the organisation's instructors to choose from. Whoever may watch the exercise; others 404",
    tags: ['exercises', 'analytics'],
    access: STAFF,
    params: { required: ['id'], properties: { id: EXERCISE_ID } },
    response: { description: 'the instructors', schema: instructors },
    handler: async ({ principal, params }) => {
      await mustWatchExercise(canWatch, principal, params.id);
      return analytics.instructorsOf(principal, params.id);
    },
  });

  for (const method of ['put', 'delete'] as const)
    api.add<undefined, { id: string; userId: string }>({
      method,
      path: '/api/exercises/{id}/instructors/{userId}',
      operationId: method === 'put' ? 'assignExerciseInstructor' : 'unassignExerciseInstructor',
      summary:
        method === 'put'
          ? 'Assign an instructor of the organisation to an exercise: its class evidence becomes theirs to read (idempotent)'
          : 'Take an assigned instructor off an exercise (its launcher stays)',
      tags: ['exercises', 'analytics'],
      access: { roles: ['operator', 'org-admin'] },
      params: { required: ['id', 'userId'], properties: { id: EXERCISE_ID, userId: ID } },
      response: { description: 'the assignment', schema: assignment },
      handler: async ({ principal, params }) => {
        const assignment = await analytics.setInstructor(
          principal,
          params.id,
          params.userId,
          method === 'put',
        );
        // setInstructor refused anyone but the operator or the organisation's org-admins
        if (principal)
          await audit(
            principal,
            method === 'put' ? 'exercise.instructor-assign' : 'exercise.instructor-unassign',
            params.id,
            { instructor: params.userId },
          );
        return assignment;
      },
    });

  api.add<undefined, { id: string }, { role?: string }>({
    method: 'get',
    path: '/api/analytics/exercises/{id}/class',
    operationId: 'getClassEvidence',
    summary:
      "The class report of an exercise: each member with an account, their statements demonstrated and role progress in this exercise; the operator, the organisation's org-admins, and the instructors who launched it or are assigned to it",
    tags: ['analytics'],
    access: STAFF,
    params: { required: ['id'], properties: { id: EXERCISE_ID } },
    query: { properties: { role: ROLE } },
    response: {
      description: 'the class',
      schema: {
        type: 'object',
        properties: {
          exerciseId: { type: 'string' },
          members: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                userId: { type: 'string' },
                displayName: { type: 'string' },
                teamId: { type: 'string' },
                evidence,
              },
            },
          },
        },
      },
    },
    handler: async ({ principal, params, query }) => {
      await mustWatchExercise(canWatch, principal, params.id);
      // an instructor's class: the exercises they launched or are assigned to; org-admins the org's
      await analytics.mustReadClass(principal, params.id);
      const members = await analytics.evidence.forClass(
        params.id,
        query.role !== undefined ? { role: query.role } : {},
      );
      return { exerciseId: params.id, members };
    },
  });

  api.add<
    undefined,
    { userId: string },
    {
      exercises?: string;
      framework?: NiceFramework;
      format: 'json' | 'pdf' | 'csv';
      lang: 'en' | 'ja';
    }
  >({
    method: 'get',
    path: '/api/analytics/trainees/{userId}/transcript',
    operationId: 'getTraineeTranscript',
    summary:
      "A trainee's transcript (scenarios, objectives solved, statements evidenced with first dates, role progress), optionally for some exercises (a course's runs): JSON (TranscriptDocument), PDF or CSV (UTF-8 with BOM) in Japanese or English; same readers as the evidence",
    tags: ['analytics'],
    access: 'authenticated',
    params: { required: ['userId'], properties: { userId: ID } },
    query: {
      properties: {
        exercises: { type: 'string', pattern: '^[a-z0-9-]{1,32}(,[a-z0-9-]{1,32}){0,199}$' },
        framework: { enum: [...NICE_FRAMEWORKS] },
        format: { enum: ['json', 'pdf', 'csv'], default: 'json' },
        lang: { enum: ['en', 'ja'], default: 'en', description: 'the language of a PDF or CSV' },
      },
    },
    response: {
      description: 'the transcript document',
      schema: api.schema('TranscriptDocument', {
        type: 'object',
        required: ['issuedOn', 'trainee', 'framework', 'exercises', 'statements', 'roles'],
        properties: {
          issuedOn: { type: 'string', description: 'YYYY-MM-DD' },
          trainee: {
            type: 'object',
            required: ['name'],
            properties: { name: STR, email: STR, organisation: STR },
          },
          course: { type: 'object', required: ['title'], properties: { title: BILINGUAL_TEXT } },
          framework: { type: 'string' },
          exercises: {
            type: 'array',
            items: {
              type: 'object',
              required: ['scenario', 'exerciseId', 'startedOn', 'objectivesSolved'],
              properties: {
                scenario: {
                  type: 'object',
                  required: ['id', 'version', 'title'],
                  properties: { id: STR, version: STR, title: BILINGUAL_TEXT },
                },
                exerciseId: STR,
                startedOn: STR,
                objectivesSolved: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['id', 'title', 'solvedOn', 'statementIds'],
                    properties: {
                      id: STR,
                      title: BILINGUAL_TEXT,
                      solvedOn: STR,
                      statementIds: { type: 'array', items: STR },
                    },
                  },
                },
              },
            },
          },
          statements: {
            type: 'array',
            items: {
              type: 'object',
              required: ['id', 'type', 'text', 'firstDemonstratedOn'],
              properties: { id: STR, type: STR, text: STR, firstDemonstratedOn: STR },
            },
          },
          roles: {
            type: 'array',
            items: {
              type: 'object',
              required: ['id', 'name', 'demonstrated', 'total'],
              properties: {
                id: STR,
                name: STR,
                demonstrated: { type: 'integer' },
                total: { type: 'integer' },
              },
            },
          },
        },
      }),
      alternatives: [AS_CSV, AS_PDF],
    },
    handler: async ({ principal, params, query, res }) => {
      const doc = await analytics.transcript(principal, params.userId, {
        ...(query.exercises !== undefined ? { exerciseIds: query.exercises.split(',') } : {}),
        ...(query.framework !== undefined ? { framework: query.framework } : {}),
      });
      if (query.format === 'json') return doc;
      const name = `transcript-${doc.issuedOn}-${query.lang}`;
      if (query.format === 'csv') {
        sendCsv(res, name, transcriptCsv(doc, query.lang));
        return undefined;
      }
      const pdf = await renderer.transcript(doc, query.lang);
      res
        .status(200)
        .type('application/pdf')
        .setHeader('content-disposition', `attachment; filename="${name}.pdf"`)
        .send(pdf);
      return undefined;
    },
  });

  const materialUse = all({
    id: STR,
    title: { anyOf: [localized, { type: 'null' }] },
    launches: INTEGER,
    realLaunches: INTEGER,
    realTeams: INTEGER,
    trainees: INTEGER,
    traineeHours: { type: 'number' },
  });
  // `UsageReport` of contract/analytics.ts
  const usageReport = api.schema('MaterialUsage', {
    ...all({
      period: all({ from: INTEGER, to: INTEGER }),
      orgId: NULLABLE_STRING,
      utilisation: fractionSchema,
      launches: INTEGER,
      realTeams: INTEGER,
      traineeHours: { type: 'number' },
      materials: { type: 'array', items: materialUse },
      neverUsed: { type: 'array', items: all({ id: STR, title: localized }) },
      outsideCatalogue: { type: 'array', items: materialUse },
    }),
    description: 'materials launched with real teams in [from, to): per material, most trainee-hours first',
  });

  api.add<
    undefined,
    Record<string, string>,
    { from: string; to: string; org?: string; format: 'json' | 'csv' }
  >({
    method: 'get',
    path: '/api/analytics/usage',
    operationId: 'getMaterialUsage',
    summary:
      'Material use in [from, to): materials launched with real teams (utilisation of the catalogue), launches, teams, trainee-hours, materials not used; the operator platform-wide or per organisation, staff their own organisation',
    tags: ['analytics'],
    access: STAFF,
    query: {
      required: ['from', 'to'],
      properties: {
        from: {
          ...INSTANT,
          description: 'first day (YYYY-MM-DD, platform time zone) or an ISO date-time with offset',
        },
        to: { ...INSTANT, description: 'last day, included (YYYY-MM-DD), or an ISO date-time (excluded)' },
        org: ID,
        format: { enum: ['json', 'csv'], default: 'json' },
      },
    },
    response: { description: 'the material use', schema: usageReport, alternatives: [AS_CSV] },
    handler: async ({ principal, query, res }) => {
      const report = await analytics.usage(principal, {
        from: parseInstant(query.from, false, analytics.timeZone),
        to: parseInstant(query.to, true, analytics.timeZone),
        ...(query.org !== undefined ? { orgId: query.org } : {}),
      });
      if (query.format !== 'csv') return report;
      sendCsv(res, 'usage', usageCsv(report));
      return undefined;
    },
  });
}
