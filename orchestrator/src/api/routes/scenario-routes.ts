import { CyropError } from '../../errors.ts';
import type { ScenarioCatalogue } from '../../scenarios/scenario-catalogue.ts';
import type { ApiRegistry } from '../api-registry.ts';

const localized = {
  oneOf: [{ type: 'string' }, { type: 'object', additionalProperties: { type: 'string' } }],
};

/** The scenario catalogue: public (it holds no secrets: no flags, answers or files). */
export function scenarioRoutes(api: ApiRegistry, catalogue: ScenarioCatalogue): void {
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
}
