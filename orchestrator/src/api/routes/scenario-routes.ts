import { DIAGNOSTIC } from '../common-schemas.ts';
import { isStaff } from '../../access/principal.ts';
import { CyropError } from '../../errors.ts';
import { toCard, type ScenarioLibrary } from '../../scenarios/scenario-library.ts';
import type { ScenarioFiles } from '../../scenarios/scenario-uploads.ts';
import { STAFF, type ApiRegistry } from '../api-registry.ts';

const localized = {
  oneOf: [{ type: 'string' }, { type: 'object', additionalProperties: { type: 'string' } }],
};

const SCENARIO_ID = { type: 'string', pattern: '^[a-z0-9-]{1,40}$' };
const VERSION = { type: 'string', pattern: '^[0-9A-Za-z.+-]{1,64}$' };

/**
 * The scenario catalogue as the caller may see it (no secrets in any of it: no flags, answers or
 * files): anonymous callers get cards of the shipped and published scenarios; staff get full entries
 * of those and of their organisation's private ones. Uploads, archive and publication (staff).
 */
export function scenarioRoutes(api: ApiRegistry, library: ScenarioLibrary): void {
  /** What a catalogue card and a full entry share. */
  const cardFields = {
    id: { type: 'string' },
    version: { type: 'string' },
    title: localized,
    summary: localized,
    category: { type: 'string' },
    difficulty: { type: 'string' },
    duration: { type: 'string' },
    tags: { type: 'array', items: { type: 'string' } },
    framework: { type: 'string' },
    workRoles: { type: 'array', items: { type: 'string' } },
  };
  const entrySchema = {
    type: 'object',
    required: [
      'id',
      'version',
      'title',
      'category',
      'difficulty',
      'tags',
      'workRoles',
      'objectives',
      'hosts',
      'valid',
      'competencyCheck',
      'file',
      'shipped',
      'contentHash',
      'ownerOrgId',
      'archived',
      'publication',
    ],
    properties: {
      ...cardFields,
      objectives: {
        type: 'array',
        items: {
          type: 'object',
          required: ['id', 'kind', 'title', 'points'],
          properties: {
            id: { type: 'string' },
            kind: { type: 'string' },
            title: localized,
            points: { type: 'integer' },
            requires: { type: 'array', items: { type: 'string' } },
            forgeable: { const: true },
          },
        },
      },
      hosts: {
        type: 'array',
        items: {
          type: 'object',
          required: ['name', 'image', 'console', 'web'],
          properties: {
            name: { type: 'string' },
            image: { type: 'string' },
            console: { type: 'boolean' },
            web: {
              type: 'array',
              description: "the host's web services (web service tabs)",
              items: {
                type: 'object',
                required: ['port', 'path'],
                properties: { port: { type: 'integer' }, title: localized, path: { type: 'string' } },
              },
            },
          },
        },
      },
      valid: { type: 'boolean' },
      competencyCheck: { enum: ['catalogue', 'syntax-only', 'none'] },
      diagnostics: { type: 'array', items: DIAGNOSTIC },
      warnings: { type: 'integer', description: 'how many diagnostics the version has' },
      file: { type: 'string' },
      shipped: { type: 'boolean' },
      contentHash: { type: 'string' },
      ownerOrgId: { type: ['string', 'null'] },
      archived: { type: 'boolean' },
      publication: { enum: ['private', 'requested', 'published', 'rejected'] },
    },
  };
  const entry = api.schema('CatalogueEntry', {
    ...entrySchema,
    required: [...entrySchema.required, 'diagnostics'],
  });
  const listEntry = api.schema('CatalogueListEntry', {
    ...entrySchema,
    description: 'a catalogue entry in a list: how many diagnostics (`warnings`) instead of them',
    required: [...entrySchema.required, 'warnings'],
    properties: (({ diagnostics: _omitted, ...rest }) => rest)(entrySchema.properties),
  });
  const card = api.schema('ScenarioCard', {
    type: 'object',
    required: ['id', 'version', 'title', 'category', 'difficulty', 'objectives', 'points'],
    properties: {
      ...cardFields,
      objectives: { type: 'integer', description: 'how many objectives' },
      points: { type: 'integer', description: 'the points of every objective together' },
    },
  });
  api.add({
    method: 'get',
    path: '/api/scenarios',
    operationId: 'listScenarios',
    summary:
      'The newest offered version of every scenario the caller may use (anonymous: cards of the shipped and published ones)',
    tags: ['scenarios'],
    access: 'public',
    response: {
      description: 'the catalogue; `invalid` (operator only) lists shipped files that do not validate',
      schema: {
        type: 'object',
        properties: {
          scenarios: { type: 'array', items: { oneOf: [listEntry, card] } },
          invalid: {
            type: 'array',
            items: {
              type: 'object',
              required: ['file', 'diagnostics'],
              properties: { file: { type: 'string' }, diagnostics: { type: 'array', items: DIAGNOSTIC } },
            },
          },
        },
      },
    },
    handler: ({ principal }) => {
      const list = library.list(principal);
      if (!isStaff(principal)) return Promise.resolve({ scenarios: list.map(toCard), invalid: [] });
      return Promise.resolve({
        scenarios: list.map(({ diagnostics, ...rest }) => ({ ...rest, warnings: diagnostics.length })),
        invalid: principal.role === 'operator' ? library.catalogue.invalid() : [],
      });
    },
  });
  api.add<undefined, { id: string }, { version?: string }>({
    method: 'get',
    path: '/api/scenarios/{id}',
    operationId: 'getScenario',
    summary: 'One scenario (its newest offered version unless `version` names one), with its diagnostics',
    tags: ['scenarios'],
    access: 'public',
    params: { required: ['id'], properties: { id: SCENARIO_ID } },
    query: { properties: { version: VERSION } },
    response: { description: 'the scenario (anonymous: its card)', schema: { oneOf: [entry, card] } },
    handler: ({ principal, params, query }) => {
      const found = library.get(principal, params.id, query.version);
      return Promise.resolve(isStaff(principal) ? found : toCard(found));
    },
  });

  api.add<undefined, { id: string }>({
    method: 'get',
    path: '/api/scenarios/{id}/versions',
    operationId: 'listScenarioVersions',
    summary: 'Every version of a scenario the caller may see, newest first (archived ones for their owners)',
    tags: ['scenarios'],
    access: 'public',
    params: { required: ['id'], properties: { id: SCENARIO_ID } },
    response: {
      description: 'versions',
      schema: {
        type: 'object',
        properties: { versions: { type: 'array', items: { oneOf: [entry, card] } } },
      },
    },
    handler: ({ principal, params }) => {
      const versions = library.versions(principal, params.id);
      return Promise.resolve({ versions: isStaff(principal) ? versions : versions.map(toCard) });
    },
  });

  const versionParams = { required: ['id', 'version'], properties: { id: SCENARIO_ID, version: VERSION } };
  for (const archived of [true, false]) {
    api.add<undefined, { id: string; version: string }>({
      method: 'post',
      path: `/api/scenarios/{id}/versions/{version}/${archived ? 'archive' : 'restore'}`,
      operationId: archived ? 'archiveScenarioVersion' : 'restoreScenarioVersion',
      summary: archived
        ? 'Hide a version from launch (exercises that ran it keep it); owners only'
        : 'Offer an archived version for launch again; owners only',
      tags: ['scenarios'],
      access: STAFF,
      params: versionParams,
      response: { description: 'the version', schema: entry },
      handler: ({ principal, params }) => library.setArchived(principal, params.id, params.version, archived),
    });
  }
  api.add<{ withdraw?: boolean; note?: string }, { id: string; version: string }>({
    method: 'post',
    path: '/api/scenarios/{id}/versions/{version}/publication',
    operationId: 'requestScenarioPublication',
    summary:
      "Ask the operator to publish a version to every organisation (or withdraw the request); the owner's org-admin",
    tags: ['scenarios'],
    access: STAFF,
    params: versionParams,
    body: {
      type: 'object',
      additionalProperties: false,
      properties: { withdraw: { type: 'boolean' }, note: { type: 'string', maxLength: 2000 } },
    },
    response: { description: 'the version', schema: entry },
    handler: ({ principal, params, body }) =>
      library.requestPublication(principal, params.id, params.version, body),
  });
  api.add<{ approve: boolean; note?: string }, { id: string; version: string }>({
    method: 'post',
    path: '/api/scenarios/{id}/versions/{version}/publication/decision',
    operationId: 'decideScenarioPublication',
    summary: 'Publish a requested version to every organisation, or reject the request (operator)',
    tags: ['scenarios'],
    access: { roles: ['operator'] },
    params: versionParams,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['approve'],
      properties: { approve: { type: 'boolean' }, note: { type: 'string', maxLength: 2000 } },
    },
    response: { description: 'the version', schema: entry },
    handler: ({ principal, params, body }) =>
      library.decidePublication(principal, params.id, params.version, body),
  });
  api.add<undefined>({
    method: 'get',
    path: '/api/scenario-publications',
    operationId: 'listPublicationRequests',
    summary: 'Scenario versions waiting for a publication decision, oldest first (operator)',
    tags: ['scenarios'],
    access: { roles: ['operator'] },
    response: {
      description: 'the requests',
      schema: {
        type: 'object',
        required: ['requests'],
        properties: {
          requests: {
            type: 'array',
            items: {
              type: 'object',
              required: ['id', 'version', 'ownerOrgId', 'title', 'requestedAt', 'requestedBy', 'note'],
              properties: {
                id: { type: 'string' },
                version: { type: 'string' },
                ownerOrgId: { type: 'string' },
                title: localized,
                requestedAt: { type: ['integer', 'null'] },
                requestedBy: { type: ['string', 'null'] },
                note: { type: ['string', 'null'] },
              },
            },
          },
        },
      },
    },
    handler: async ({ principal }) => ({ requests: await library.publicationRequests(principal) }),
  });

  const files = {
    type: 'object',
    additionalProperties: false,
    required: ['files'],
    properties: {
      files: {
        type: 'object',
        description: 'the scenario folder: relative path → text content; must include scenario.yaml',
        minProperties: 1,
        maxProperties: 64,
        additionalProperties: { type: 'string', maxLength: 1024 * 1024 },
      },
    },
  };
  const verdict = {
    type: 'object',
    required: ['valid', 'diagnostics'],
    properties: {
      valid: { type: 'boolean' },
      competencyCheck: { type: 'string' },
      diagnostics: { type: 'array', items: DIAGNOSTIC },
    },
  };
  api.add<{ files: ScenarioFiles }>({
    method: 'post',
    path: '/api/scenarios/validate',
    operationId: 'validateScenario',
    summary: 'Validate a scenario folder without storing it: every problem with file, line and field',
    tags: ['scenarios'],
    access: STAFF,
    body: files,
    response: { description: 'the verdict', schema: verdict },
    handler: async ({ body }) => {
      const result = await library.uploads.validate(body.files);
      return {
        valid: Boolean(result.compiled),
        competencyCheck: result.competencyCheck,
        diagnostics: result.diagnostics,
      };
    },
  });
  api.add<{ files: ScenarioFiles }>({
    method: 'post',
    path: '/api/scenarios',
    operationId: 'uploadScenario',
    summary:
      "Upload a scenario version, private to the caller's organisation (immutable: the same files again change nothing, other files need a new version; shipped ids and other organisations' ids are refused)",
    tags: ['scenarios'],
    access: STAFF,
    body: files,
    response: {
      status: 200,
      description: 'already stored with these files',
      schema: entry,
      others: [{ status: 201, description: 'stored by this upload', schema: entry }],
    },
    handler: async ({ principal, body, res }) => {
      const result = await library.upload(principal, body.files);
      if (!result.stored) {
        throw new CyropError(
          'SCENARIO_INVALID',
          `the scenario has ${result.diagnostics.filter((d) => d.severity === 'error').length} error(s)`,
          { details: result.diagnostics },
        );
      }
      if (result.stored.created) res.status(201);
      return result.entry;
    },
  });
}
