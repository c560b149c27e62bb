import type { Request } from 'express';
import { mayManageUsersOf } from '../../access/account-access.ts';
import type {
  AccountService,
  AuditContext,
  AuditEntry,
  Language,
  OrganisationDetails,
} from '../../accounts/account-service.ts';
import { ORGANISATION_CATEGORIES } from '../../accounts/account-service.ts';
import { CyropError } from '../../errors.ts';
import type { ScenarioLibrary } from '../../scenarios/scenario-library.ts';
import { toCsv } from '../../scoring/export-results.ts';
import type { Role } from '../../access/principal.ts';
import { type ApiRegistry, type JsonSchema, type Principal } from '../api-registry.ts';
import { sessionToken } from '../auth/set-session-cookie.ts';

/** What the operator's health panel shows beyond the store's counts. */
export interface PlatformProbe {
  version: string;
  engine: string;
  /** Asks the engine something cheap; throws when it does not answer. */
  engineCheck?: () => Promise<void>;
  startedAt: number;
}

export interface AdminRoutesDependencies {
  accounts: AccountService;
  scenarios: ScenarioLibrary;
  probe: PlatformProbe;
  clock?: () => number;
}

const ROLES = ['operator', 'org-admin', 'instructor', 'trainee'];
const ID = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' };
const USER_ID = { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$' };
const NULLABLE_TEXT = (max: number) => ({ type: ['string', 'null'], maxLength: max });

/** The organisation fields an operator sets (the same for create and edit). */
export const ORGANISATION_FIELDS: Record<string, JsonSchema> = {
  name: { type: 'string', minLength: 1, maxLength: 100 },
  category: { enum: [...ORGANISATION_CATEGORIES, null] },
  contactName: NULLABLE_TEXT(100),
  contactEmail: NULLABLE_TEXT(254),
  contactPhone: NULLABLE_TEXT(32),
  postalAddress: NULLABLE_TEXT(300),
  invoiceRegistrationNumber: {
    type: ['string', 'null'],
    maxLength: 20,
    description: 'qualified-invoice registration number: T followed by 13 digits',
  },
};

export const AUDIT_QUERY = {
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
    before: { type: 'integer', minimum: 1 },
    actor: { type: 'string', minLength: 1, maxLength: 200 },
    action: { type: 'string', minLength: 1, maxLength: 100, description: 'actions starting with this' },
    target: { type: 'string', minLength: 1, maxLength: 200, description: 'targets starting with this' },
    from: { type: 'integer', minimum: 0, description: 'epoch ms, inclusive' },
    to: { type: 'integer', minimum: 0, description: 'epoch ms, exclusive' },
  },
};

export interface AuditQuery {
  limit?: number;
  before?: number;
  actor?: string;
  action?: string;
  target?: string;
  from?: number;
  to?: number;
}

/** The audit filter of a query string (shared by the list and the CSV export). */
export function auditFilter(query: AuditQuery) {
  if (query.from !== undefined && query.to !== undefined && query.to <= query.from)
    throw new CyropError('BAD_REQUEST', 'to: must be after from', {
      details: [{ pointer: '/to', message: 'must be after from' }],
    });
  return {
    ...(query.limit !== undefined ? { limit: query.limit } : {}),
    ...(query.before !== undefined ? { before: query.before } : {}),
    ...(query.actor !== undefined ? { actor: query.actor } : {}),
    ...(query.action !== undefined ? { actionPrefix: query.action } : {}),
    ...(query.target !== undefined ? { targetPrefix: query.target } : {}),
    ...(query.from !== undefined ? { from: query.from } : {}),
    ...(query.to !== undefined ? { to: query.to } : {}),
  };
}

/** The audit log as CSV: UTF-8 with a byte-order mark (Excel in Japanese opens it), formulas guarded. */
export function auditCsv(entries: readonly AuditEntry[]): string {
  return (
    '\uFEFF' +
    toCsv(
      ['id', 'at', 'actor', 'organisation', 'action', 'target', 'details', 'ip'],
      entries.map((e) => [
        e.id,
        new Date(e.at).toISOString(),
        e.actor,
        e.orgId,
        e.action,
        e.target,
        JSON.stringify(e.details),
        e.ip,
      ]),
    )
  );
}

/**
 * The administration API: organisations (edit, disable), users of every organisation (operator) or of
 * one's own (org-admin: role, disable, password reset), the audit log's CSV export, the platform's
 * health, an organisation's scenarios, and "my account" (language, sessions). The rules are the access
 * module's, applied by the account service, which also writes the audit entries.
 */
export function adminRoutes(api: ApiRegistry, deps: AdminRoutesDependencies): void {
  const { accounts, scenarios, probe } = deps;
  const clock = deps.clock ?? Date.now;
  const ctx = (req: Request): AuditContext => ({ ip: req.ip });
  const organisation = { $ref: '#/components/schemas/Organisation' };
  const user = { $ref: '#/components/schemas/User' };

  api.add<undefined, { id: string }>({
    method: 'get',
    path: '/api/organisations/{id}',
    operationId: 'getOrganisation',
    summary: "One organisation with its contact and invoicing details (operator; that organisation's admin)",
    tags: ['accounts'],
    access: { roles: ['operator', 'org-admin'] },
    params: { required: ['id'], properties: { id: ID } },
    response: { description: 'the organisation', schema: organisation },
    handler: async ({ principal, params }) => {
      if (!mayManageUsersOf(principal, params.id))
        throw new CyropError('FORBIDDEN', 'you may only manage your own organisation');
      const org = await accounts.getOrganisation(params.id);
      if (!org) throw new CyropError('NOT_FOUND', `no organisation '${params.id}'`);
      return org;
    },
  });

  api.add<OrganisationDetails & { disabled?: boolean }, { id: string }>({
    method: 'patch',
    path: '/api/organisations/{id}',
    operationId: 'updateOrganisation',
    summary:
      "Edit an organisation's name, kind, category, contact and invoicing details, or disable it (its users are signed out and cannot sign in; its exercises stay) or enable it (operator)",
    tags: ['accounts'],
    access: { roles: ['operator'] },
    params: { required: ['id'], properties: { id: ID } },
    body: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        ...ORGANISATION_FIELDS,
        kind: { enum: ['training-company', 'customer'] },
        disabled: { type: 'boolean' },
      },
    },
    response: { description: 'the organisation', schema: organisation },
    handler: async ({ principal, params, body, req }) => {
      const { disabled, ...details } = body;
      const by = principal as Principal;
      let org =
        Object.keys(details).length > 0
          ? await accounts.updateOrganisation(by, params.id, details, ctx(req))
          : await accounts.getOrganisation(params.id);
      if (!org) throw new CyropError('NOT_FOUND', `no organisation '${params.id}'`);
      if (disabled !== undefined)
        org = await accounts.setOrganisationDisabled(by, params.id, disabled, ctx(req));
      return org;
    },
  });

  api.add<undefined, Record<string, string>, { org?: string }>({
    method: 'get',
    path: '/api/users',
    operationId: 'listEveryUser',
    summary: 'The users of every organisation, or of one (`org`) (operator)',
    tags: ['accounts'],
    access: { roles: ['operator'] },
    query: { properties: { org: ID } },
    response: {
      description: 'the users',
      schema: { type: 'object', properties: { users: { type: 'array', items: user } } },
    },
    handler: async ({ query }) => ({
      users: query.org !== undefined ? await accounts.listUsers(query.org) : await accounts.listEveryUser(),
    }),
  });

  api.add<{ role?: Role; disabled?: boolean }, { id: string }>({
    method: 'patch',
    path: '/api/users/{id}',
    operationId: 'updateUser',
    summary:
      "Change a user's role (within what the organisation's kind allows) or disable/enable them; their sessions end (operator; the user's org-admin; another organisation's user: 404)",
    tags: ['accounts'],
    access: { roles: ['operator', 'org-admin'] },
    params: { required: ['id'], properties: { id: USER_ID } },
    body: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: { role: { enum: ROLES }, disabled: { type: 'boolean' } },
    },
    response: { description: 'the user', schema: user },
    handler: ({ principal, params, body, req }) =>
      accounts.updateUser(principal as Principal, params.id, body, ctx(req)),
  });

  api.add<undefined, { id: string }>({
    method: 'post',
    path: '/api/users/{id}/password-reset',
    operationId: 'resetUserPassword',
    summary:
      "A new one-time password for a user, shown once; they must change it at next sign-in and their sessions end (operator; the user's org-admin)",
    tags: ['accounts'],
    access: { roles: ['operator', 'org-admin'] },
    params: { required: ['id'], properties: { id: USER_ID } },
    response: {
      description: 'the one-time password (never shown again)',
      schema: {
        type: 'object',
        required: ['user', 'oneTimePassword'],
        properties: { user, oneTimePassword: { type: 'string' } },
      },
    },
    handler: ({ principal, params, req }) =>
      accounts.resetPassword(principal as Principal, params.id, ctx(req)),
  });

  api.add<undefined, Record<string, string>, AuditQuery>({
    method: 'get',
    path: '/api/audit/export',
    operationId: 'exportAudit',
    summary:
      'The audit log as CSV (UTF-8 with BOM; cells that a spreadsheet would run as formulas are quoted), with the same filters as the list (operator: everything; org-admin: their organisation)',
    tags: ['accounts'],
    access: { roles: ['operator', 'org-admin'] },
    query: {
      properties: {
        ...AUDIT_QUERY.properties,
        limit: { type: 'integer', minimum: 1, maximum: 100_000, default: 10_000 },
      },
    },
    response: { description: 'the CSV file', contentType: 'text/csv', schema: { type: 'string' } },
    handler: async ({ principal, query, res }) => {
      const entries = await accounts.listAuditAs(principal as Principal, auditFilter(query));
      const stamp = new Date(clock()).toISOString().slice(0, 19).replace(/[:T]/g, '-');
      res
        .status(200)
        .type('text/csv; charset=utf-8')
        .setHeader('content-disposition', `attachment; filename="cyrop-audit-${stamp}.csv"`)
        .send(auditCsv(entries));
      return undefined;
    },
  });

  api.add({
    method: 'get',
    path: '/api/admin/health',
    operationId: 'platformHealth',
    summary:
      'Platform health: engine, database, counts of organisations, users and running exercises, version (operator)',
    tags: ['accounts'],
    access: { roles: ['operator'] },
    response: {
      description: 'the health',
      schema: {
        type: 'object',
        required: ['version', 'engine', 'database', 'counts', 'startedAt', 'checkedAt'],
        properties: {
          version: { type: 'string' },
          engine: {
            type: 'object',
            required: ['name', 'ok', 'ms'],
            properties: {
              name: { type: 'string' },
              ok: { type: 'boolean' },
              ms: { type: 'integer' },
              error: { type: 'string' },
            },
          },
          database: {
            type: 'object',
            required: ['ok', 'ms'],
            properties: { ok: { type: 'boolean' }, ms: { type: 'integer' } },
          },
          counts: {
            type: 'object',
            required: [
              'organisations',
              'disabledOrganisations',
              'users',
              'disabledUsers',
              'exercisesRunning',
              'exercises',
              'sessions',
            ],
            properties: Object.fromEntries(
              [
                'organisations',
                'disabledOrganisations',
                'users',
                'disabledUsers',
                'exercisesRunning',
                'exercises',
                'sessions',
              ].map((k) => [k, { type: 'integer' }]),
            ),
          },
          startedAt: { type: 'integer' },
          checkedAt: { type: 'integer' },
        },
      },
    },
    handler: async () => {
      const timed = async (fn: () => Promise<unknown>) => {
        const started = performance.now();
        try {
          await fn();
          return { ok: true, ms: Math.round(performance.now() - started) };
        } catch (error) {
          return {
            ok: false,
            ms: Math.round(performance.now() - started),
            error: error instanceof Error ? error.message : String(error),
          };
        }
      };
      const started = performance.now();
      const counts = await accounts.counts();
      const database = { ok: true, ms: Math.round(performance.now() - started) };
      const check = probe.engineCheck;
      const engine = check
        ? await timed(() => withTimeout(check(), 3000))
        : { ok: false, ms: 0, error: 'no engine is configured' };
      return {
        version: probe.version,
        engine: { name: probe.engine, ...engine },
        database,
        counts,
        startedAt: probe.startedAt,
        checkedAt: clock(),
      };
    },
  });

  api.add<undefined, { id: string }>({
    method: 'get',
    path: '/api/organisations/{id}/scenarios',
    operationId: 'listOrganisationScenarios',
    summary:
      "Every version of every scenario an organisation owns, archived ones included (operator; that organisation's admin)",
    tags: ['scenarios'],
    access: { roles: ['operator', 'org-admin'] },
    params: { required: ['id'], properties: { id: ID } },
    response: {
      description: 'the versions',
      schema: {
        type: 'object',
        required: ['versions'],
        properties: {
          versions: { type: 'array', items: { $ref: '#/components/schemas/CatalogueListEntry' } },
        },
      },
    },
    handler: ({ principal, params }) => {
      if (!mayManageUsersOf(principal, params.id))
        throw new CyropError('FORBIDDEN', 'you may only manage your own organisation');
      return Promise.resolve({
        versions: scenarios
          .ownedBy(principal, params.id)
          .map(({ diagnostics, ...rest }) => ({ ...rest, warnings: diagnostics.length })),
      });
    },
  });

  // ── my account ─────────────────────────────────────────────────────────────────────────────

  const me = (principal: Principal | undefined) => {
    if (principal?.kind !== 'user') throw new CyropError('FORBIDDEN', 'this needs a user account');
    return principal;
  };
  const account = api.schema('Account', {
    type: 'object',
    required: ['user', 'organisation'],
    properties: {
      user,
      organisation: {
        type: 'object',
        required: ['id', 'name', 'kind'],
        properties: { id: { type: 'string' }, name: { type: 'string' }, kind: { type: 'string' } },
      },
    },
  });
  const accountOf = async (userId: string) => {
    const u = await accounts.getUser(userId);
    if (!u) throw new CyropError('UNAUTHENTICATED', 'sign in first');
    const org = await accounts.getOrganisation(u.orgId);
    return { user: u, organisation: { id: u.orgId, name: org?.name ?? '', kind: org?.kind ?? '' } };
  };

  api.add({
    method: 'get',
    path: '/api/account',
    operationId: 'getAccount',
    summary: 'Your account: name, email, role, organisation, preferred language',
    tags: ['account'],
    access: { roles: ROLES as Role[] },
    response: { description: 'the account', schema: account },
    handler: ({ principal }) => accountOf(me(principal).userId),
  });

  api.add<{ preferredLanguage: Language | null }>({
    method: 'patch',
    path: '/api/account',
    operationId: 'updateAccount',
    summary: "Set your preferred console language (applied at sign-in; null: the browser's)",
    tags: ['account'],
    access: { roles: ROLES as Role[] },
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['preferredLanguage'],
      properties: { preferredLanguage: { enum: ['en', 'ja', null] } },
    },
    response: { description: 'the account', schema: account },
    handler: async ({ principal, body }) => {
      const p = me(principal);
      await accounts.setPreferredLanguage(p.userId, body.preferredLanguage);
      return accountOf(p.userId);
    },
  });

  const sessionInfo = api.schema('SessionInfo', {
    type: 'object',
    required: ['id', 'kind', 'createdAt', 'lastSeenAt', 'expiresAt', 'current'],
    properties: {
      id: { type: 'string' },
      kind: { enum: ['user', 'participant'] },
      createdAt: { type: 'integer' },
      lastSeenAt: { type: 'integer' },
      expiresAt: { type: 'integer' },
      current: { type: 'boolean' },
      exerciseId: { type: ['string', 'null'] },
      teamId: { type: ['string', 'null'] },
    },
  });

  api.add({
    method: 'get',
    path: '/api/account/sessions',
    operationId: 'listMySessions',
    summary: 'Your live sessions (created, last seen; this one marked)',
    tags: ['account'],
    access: { roles: ROLES as Role[] },
    response: {
      description: 'the sessions, newest first',
      schema: { type: 'object', properties: { sessions: { type: 'array', items: sessionInfo } } },
    },
    handler: async ({ principal, req }) => ({
      sessions: await accounts.listSessions(me(principal).userId, sessionToken(req)),
    }),
  });

  api.add({
    method: 'post',
    path: '/api/account/sessions/sign-out-others',
    operationId: 'signOutElsewhere',
    summary: 'Sign out everywhere else: every session of yours but this one ends',
    tags: ['account'],
    access: { roles: ROLES as Role[] },
    response: {
      description: 'how many ended',
      schema: { type: 'object', required: ['ended'], properties: { ended: { type: 'integer' } } },
    },
    handler: async ({ principal, req }) => {
      const ended = await accounts.endOtherSessions(me(principal), sessionToken(req) ?? '', ctx(req));
      return { ended };
    },
  });

  api.add<undefined, { id: string }>({
    method: 'delete',
    path: '/api/account/sessions/{id}',
    operationId: 'endMySession',
    summary: 'End one of your sessions (another browser or device)',
    tags: ['account'],
    access: { roles: ROLES as Role[] },
    params: { required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9a-f]{32}$' } } },
    response: { status: 204, description: 'ended' },
    handler: async ({ principal, params, req }) => {
      await accounts.endSession(me(principal), params.id, ctx(req));
      return undefined;
    },
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
