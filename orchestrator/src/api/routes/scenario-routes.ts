import { CyropError } from '../../errors.ts';
import type { ScenarioCatalogue } from '../../scenarios/scenario-catalogue.ts';
import type { ScenarioFiles, ScenarioUploads } from '../../scenarios/scenario-uploads.ts';
import { STAFF, type ApiRegistry, type Principal } from '../api-registry.ts';

export interface ScenarioUploadDeps {
  uploads: ScenarioUploads;
  /** Called after a new version is stored (the audit log). */
  onStored?: (principal: Principal | undefined, id: string, version: string) => Promise<void>;
}

const localized = {
  oneOf: [{ type: 'string' }, { type: 'object', additionalProperties: { type: 'string' } }],
};

/** The scenario catalogue: public (it holds no secrets: no flags, answers or files). */
export function scenarioRoutes(
  api: ApiRegistry,
  catalogue: ScenarioCatalogue,
  upload?: ScenarioUploadDeps,
): void {
  const entry = api.schema('CatalogueEntry', {
    type: 'object',
    required: ['id', 'version', 'title', 'category', 'difficulty', 'objectives', 'hosts', 'valid'],
    properties: {
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
      objectives: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            kind: { type: 'string' },
            title: localized,
            points: { type: 'integer' },
          },
        },
      },
      hosts: {
        type: 'array',
        items: {
          type: 'object',
          properties: { name: { type: 'string' }, image: { type: 'string' }, console: { type: 'boolean' } },
        },
      },
      valid: { type: 'boolean' },
      competencyCheck: { enum: ['catalogue', 'syntax-only', 'none'] },
      diagnostics: { type: 'array' },
      warnings: { type: 'integer' },
      file: { type: 'string' },
    },
  });
  api.add({
    method: 'get',
    path: '/api/scenarios',
    operationId: 'listScenarios',
    summary: 'The scenario catalogue, and the files in it that do not validate',
    tags: ['scenarios'],
    access: 'public',
    response: {
      description: 'the catalogue',
      schema: {
        type: 'object',
        properties: { scenarios: { type: 'array', items: entry }, invalid: { type: 'array' } },
      },
    },
    handler: () =>
      Promise.resolve({
        scenarios: catalogue
          .list()
          .map(({ diagnostics, ...rest }) => ({ ...rest, warnings: diagnostics.length })),
        invalid: catalogue.invalid(),
      }),
  });
  api.add<undefined, { id: string }>({
    method: 'get',
    path: '/api/scenarios/{id}',
    operationId: 'getScenario',
    summary: 'One scenario of the catalogue, with its validation diagnostics',
    tags: ['scenarios'],
    access: 'public',
    params: { required: ['id'], properties: { id: { type: 'string', pattern: '^[a-z0-9-]{1,40}$' } } },
    response: { description: 'the scenario', schema: entry },
    handler: ({ params }) => {
      const found = catalogue.get(params.id);
      if (!found) throw new CyropError('NOT_FOUND', `no scenario '${params.id}' in the catalogue`);
      return Promise.resolve(found);
    },
  });

  api.add<undefined, { id: string }>({
    method: 'get',
    path: '/api/scenarios/{id}/versions',
    operationId: 'listScenarioVersions',
    summary: 'Every version of a scenario in the catalogue, newest first',
    tags: ['scenarios'],
    access: 'public',
    params: { required: ['id'], properties: { id: { type: 'string', pattern: '^[a-z0-9-]{1,40}$' } } },
    response: {
      description: 'versions',
      schema: { type: 'object', properties: { versions: { type: 'array', items: entry } } },
    },
    handler: ({ params }) => {
      const versions = catalogue.versions(params.id);
      if (versions.length === 0)
        throw new CyropError('NOT_FOUND', `no scenario '${params.id}' in the catalogue`);
      return Promise.resolve({ versions });
    },
  });
  if (!upload) return;

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
      diagnostics: { type: 'array' },
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
      const result = await upload.uploads.validate(body.files);
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
      'Upload a scenario version (immutable: the same files again change nothing, other files need a new version)',
    tags: ['scenarios'],
    access: STAFF,
    body: files,
    response: {
      status: 200,
      description: 'already stored with these files (201 when this upload stored it)',
      schema: entry,
    },
    handler: async ({ principal, body, res }) => {
      const result = await upload.uploads.store(body.files);
      if (!result.stored) {
        throw new CyropError(
          'SCENARIO_INVALID',
          `the scenario has ${result.diagnostics.filter((d) => d.severity === 'error').length} error(s)`,
          { details: result.diagnostics },
        );
      }
      const { id, version, created } = result.stored;
      if (created) {
        catalogue.load();
        await upload.onStored?.(principal, id, version);
      }
      if (created) res.status(201);
      return catalogue.get(id, version);
    },
  });
}
