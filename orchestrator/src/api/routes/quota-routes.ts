import type { AccountService } from '../../accounts/account-service.ts';
import { DURATION_PATTERN, parseDuration, parseMemory } from '../../compiler/durations.ts';
import { CyropError } from '../../errors.ts';
import { formatLifetime, type QuotaBook, type QuotaOverrides } from '../../exercises/quotas.ts';
import type { ApiRegistry, Principal } from '../api-registry.ts';

export interface QuotaRouteDeps {
  quotas: QuotaBook;
  accounts: AccountService;
}

const ID = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' }; // as organisation ids elsewhere
const SIZE = { type: ['string', 'null'], pattern: '^[1-9][0-9]{0,9}(Ki|Mi|Gi)$' };
const DURATION = { type: ['string', 'null'], pattern: DURATION_PATTERN };
const COUNT = (max: number) => ({ type: ['integer', 'null'], minimum: 1, maximum: max });

interface QuotaBody {
  exercises?: number | null;
  teams?: number | null;
  hosts?: number | null;
  cpu?: number | null;
  memory?: string | null;
  disk?: string | null;
  defaultTtl?: string | null;
  maxTtl?: string | null;
}

/**
 * Organisation quotas: the operator sets them (a null or absent limit is the platform default); an
 * organisation's admin may read their own; any other caller's organisation answers 404.
 */
export function quotaRoutes(api: ApiRegistry, { quotas, accounts }: QuotaRouteDeps): void {
  const figures = {
    type: 'object',
    properties: {
      exercises: { type: 'number' },
      teams: { type: 'number' },
      hosts: { type: 'number' },
      cpu: { type: 'number' },
      memoryBytes: { type: 'number' },
      diskBytes: { type: 'number' },
    },
  };
  const quotaView = api.schema('OrganisationQuotas', {
    type: 'object',
    required: ['orgId', 'limits', 'overrides', 'usage'],
    properties: {
      orgId: { type: 'string' },
      limits: { ...figures, description: 'in force (bytes, ms)' },
      overrides: {
        type: ['object', 'null'],
        additionalProperties: true,
        description: "the organisation's own row; null: the platform default",
      },
      usage: { ...figures, description: 'what its live exercises reserve now' },
    },
  });

  const orgFor = async (principal: Principal | undefined, id: string) => {
    const mine = principal?.kind === 'user' && (principal.role === 'operator' || principal.orgId === id);
    const org = mine ? await accounts.getOrganisation(id) : undefined;
    // Another organisation's quotas answer as if it did not exist.
    if (!org) throw new CyropError('NOT_FOUND', `no organisation '${id}'`);
    return org;
  };

  const view = async (orgId: string) => {
    const limits = await quotas.limitsFor(orgId);
    return {
      orgId,
      limits: {
        ...limits,
        defaultTtl: formatLifetime(limits.defaultTtlMs),
        maxTtl: formatLifetime(limits.maxTtlMs),
      },
      overrides: await quotas.overrides(orgId),
      usage: await quotas.usage(orgId),
    };
  };

  const params = { required: ['id'], properties: { id: ID } };

  api.add<undefined, { id: string }>({
    method: 'get',
    path: '/api/organisations/{id}/quotas',
    operationId: 'getOrganisationQuotas',
    summary: "An organisation's quotas, the limits in force and what its live exercises use",
    tags: ['accounts'],
    access: { roles: ['operator', 'org-admin'] },
    params,
    response: { description: 'the quotas', schema: quotaView },
    handler: async ({ principal, params: p }) => view((await orgFor(principal, p.id)).id),
  });

  api.add<QuotaBody, { id: string }>({
    method: 'put',
    path: '/api/organisations/{id}/quotas',
    operationId: 'setOrganisationQuotas',
    summary: "Set an organisation's quotas (platform operator); null or absent: the platform default",
    tags: ['accounts'],
    access: { roles: ['operator'] },
    params,
    body: {
      type: 'object',
      additionalProperties: false,
      properties: {
        exercises: COUNT(10_000),
        teams: COUNT(100_000),
        hosts: COUNT(1_000_000),
        cpu: { type: ['number', 'null'], minimum: 0.1, maximum: 100_000 },
        memory: SIZE,
        disk: SIZE,
        defaultTtl: DURATION,
        maxTtl: DURATION,
      },
    },
    response: { description: 'the quotas now', schema: quotaView },
    handler: async ({ principal, params: p, body, req }) => {
      const org = await orgFor(principal, p.id);
      const size = (text: string | null | undefined) => (text ? parseMemory(text) : null);
      const lifetime = (text: string | null | undefined) => (text ? parseDuration(text) : null);
      const overrides: QuotaOverrides = {
        exercises: body.exercises ?? null,
        teams: body.teams ?? null,
        hosts: body.hosts ?? null,
        cpu: body.cpu ?? null,
        memoryBytes: size(body.memory),
        diskBytes: size(body.disk),
        defaultTtlMs: lifetime(body.defaultTtl),
        maxTtlMs: lifetime(body.maxTtl),
      };
      const defaultTtl = overrides.defaultTtlMs ?? quotas.defaults.defaultTtlMs;
      const maxTtl = overrides.maxTtlMs ?? quotas.defaults.maxTtlMs;
      if (defaultTtl > maxTtl)
        throw new CyropError(
          'BAD_REQUEST',
          `defaultTtl ${formatLifetime(defaultTtl)} is longer than maxTtl ${formatLifetime(maxTtl)}`,
        );
      await quotas.set(org.id, overrides);
      // Logged in the organisation's own audit trail, so that its admin sees who changed its limits.
      await accounts.audit(
        principal ?? 'anonymous',
        'organisation.quotas',
        `organisation:${org.id}`,
        { ...body },
        {
          ip: req.ip,
          orgId: org.id,
        },
      );
      return view(org.id);
    },
  });
}
