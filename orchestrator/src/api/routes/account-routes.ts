import type { Request, Response } from 'express';
import {
  ORGANISATION_CATEGORIES,
  type AccountService,
  type OrganisationDetails,
  type SessionGrant,
} from '../../accounts/account-service.ts';
import { AUDIT_QUERY, auditFilter, ORGANISATION_FIELDS, type AuditQuery } from './admin-routes.ts';
import { CyropError, isCyropError } from '../../errors.ts';
import type { OrganisationKind } from '../../store/schema.ts';
import { STAFF, type ApiRegistry, type Principal, type Role } from '../api-registry.ts';
import {
  clearSessionCookie,
  sessionToken,
  setSessionCookie,
  type SessionCookieOptions,
} from '../auth/set-session-cookie.ts';

export interface AccountRoutesDependencies {
  accounts: AccountService;
  /** The same clock as the service's (cookie Max-Age). */
  clock?: () => number;
  cookies?: SessionCookieOptions;
}

const ROLES = ['operator', 'org-admin', 'instructor', 'trainee'];
const ID = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' };
const NAME = { type: 'string', minLength: 1, maxLength: 100 };
const EMAIL = { type: 'string', minLength: 3, maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+$' };
const PASSWORD = { type: 'string', minLength: 1, maxLength: 200 };

/**
 * Sign-in, sessions, passwords, joining a team by code, organisations and their users, join codes,
 * and the audit log. Every state change is audited.
 */
export function accountRoutes(api: ApiRegistry, deps: AccountRoutesDependencies): void {
  const { accounts } = deps;
  const clock = deps.clock ?? Date.now;

  const principal = api.schema('Principal', {
    oneOf: [
      {
        type: 'object',
        required: ['kind', 'userId', 'orgId', 'role', 'name'],
        additionalProperties: false,
        properties: {
          kind: { const: 'user' },
          userId: { type: 'string' },
          orgId: { type: 'string' },
          role: { enum: ROLES },
          name: { type: 'string' },
        },
      },
      {
        type: 'object',
        required: ['kind', 'exerciseId', 'teamId', 'name'],
        additionalProperties: false,
        properties: {
          kind: { const: 'participant' },
          exerciseId: { type: 'string' },
          teamId: { type: 'string' },
          name: { type: 'string' },
          userId: { type: 'string' },
        },
      },
    ],
  });
  const session = api.schema('Session', {
    type: 'object',
    required: ['principal', 'mustChangePassword'],
    properties: {
      principal,
      mustChangePassword: { type: 'boolean' },
      expiresAt: { type: 'integer', description: 'epoch ms (absolute expiry)' },
      orgKind: {
        enum: ['operator', 'training-company', 'customer'],
        description:
          "a user's organisation's kind: a training company sells courses (the console's Business page), a customer does not",
      },
    },
  });
  const organisation = api.schema('Organisation', {
    type: 'object',
    required: ['id', 'name', 'kind', 'createdAt', 'category', 'disabled'],
    properties: {
      id: { type: 'string' },
      name: { type: 'string' },
      kind: { enum: ['operator', 'training-company', 'customer'] },
      createdAt: { type: 'integer' },
      category: { enum: [...ORGANISATION_CATEGORIES, null] },
      contactName: { type: ['string', 'null'] },
      contactEmail: { type: ['string', 'null'] },
      contactPhone: { type: ['string', 'null'] },
      postalAddress: { type: ['string', 'null'] },
      invoiceRegistrationNumber: { type: ['string', 'null'] },
      disabled: { type: 'boolean' },
      disabledAt: { type: ['integer', 'null'] },
    },
  });
  const user = api.schema('User', {
    type: 'object',
    required: ['id', 'orgId', 'email', 'name', 'role', 'mustChangePassword', 'disabled', 'createdAt'],
    properties: {
      id: { type: 'string' },
      orgId: { type: 'string' },
      email: { type: 'string' },
      name: { type: 'string' },
      role: { enum: ROLES },
      mustChangePassword: { type: 'boolean' },
      disabled: { type: 'boolean' },
      createdAt: { type: 'integer' },
      preferredLanguage: { enum: ['en', 'ja', null] },
    },
  });
  const auditEntry = api.schema('AuditEntry', {
    type: 'object',
    required: ['id', 'at', 'actor', 'orgId', 'action', 'target', 'details', 'ip'],
    properties: {
      id: { type: 'integer' },
      at: { type: 'integer' },
      actor: { type: 'string' },
      orgId: { type: ['string', 'null'] },
      action: { type: 'string' },
      target: { type: 'string' },
      details: { type: 'object', additionalProperties: true, description: 'what the action recorded' },
      ip: { type: ['string', 'null'] },
    },
  });

  /** The kind of a user's organisation (absent for a participant, or an organisation gone). */
  const orgKindOf = async (who: Principal): Promise<{ orgKind?: OrganisationKind }> => {
    if (who.kind !== 'user') return {};
    const org = await accounts.getOrganisation(who.orgId);
    return org ? { orgKind: org.kind } : {};
  };
  const grant = async (req: Request, res: Response, g: SessionGrant) => {
    setSessionCookie(req, res, g.token, (g.expiresAt - clock()) / 1000, deps.cookies);
    return {
      principal: g.principal,
      mustChangePassword: g.mustChangePassword,
      expiresAt: g.expiresAt,
      ...(await orgKindOf(g.principal)),
    };
  };

  // ── sessions ───────────────────────────────────────────────────────────────────────────────

  api.add<{ email: string; password: string }>({
    method: 'post',
    path: '/api/auth/login',
    operationId: 'login',
    summary: 'Sign in with email and password: sets the session cookie',
    tags: ['auth'],
    access: 'public',
    body: {
      type: 'object',
      required: ['email', 'password'],
      additionalProperties: false,
      properties: { email: { type: 'string', minLength: 1, maxLength: 254 }, password: PASSWORD },
    },
    response: { description: 'signed in', schema: session },
    handler: async ({ body, req, res }) => {
      try {
        return await grant(req, res, await accounts.login(body.email, body.password, req.ip));
      } catch (error) {
        retryAfter(res, error);
        throw error;
      }
    },
  });

  api.add({
    method: 'post',
    path: '/api/auth/logout',
    operationId: 'logout',
    summary: 'Sign out: the server-side session is deleted and the cookie cleared',
    tags: ['auth'],
    access: 'public',
    response: { status: 204, description: 'signed out (also when not signed in)' },
    handler: async ({ req, res }) => {
      const token = sessionToken(req);
      if (token) await accounts.logout(token, { ip: req.ip });
      clearSessionCookie(req, res, deps.cookies);
      return undefined;
    },
  });

  api.add({
    method: 'get',
    path: '/api/auth/me',
    operationId: 'whoAmI',
    summary: 'Who is signed in',
    tags: ['auth'],
    access: 'authenticated',
    response: { description: 'the principal', schema: session },
    handler: async ({ principal, req }) => {
      if (!principal) throw new CyropError('UNAUTHENTICATED', 'sign in first');
      const resolved = await accounts.resolveSession(sessionToken(req) ?? '');
      return {
        principal,
        mustChangePassword: resolved?.mustChangePassword ?? false,
        ...(await orgKindOf(principal)),
      };
    },
  });

  api.add<{ currentPassword: string; newPassword: string }>({
    method: 'post',
    path: '/api/auth/password',
    operationId: 'changePassword',
    summary: 'Change your password: every other session ends, a new session cookie is set',
    tags: ['auth'],
    access: { roles: ['operator', 'org-admin', 'instructor', 'trainee'] },
    body: {
      type: 'object',
      required: ['currentPassword', 'newPassword'],
      additionalProperties: false,
      properties: { currentPassword: PASSWORD, newPassword: PASSWORD },
    },
    response: { description: 'changed', schema: session },
    handler: async ({ principal, body, req, res }) => {
      const { userId } = asUser(principal);
      const g = await accounts
        .changePassword(userId, body.currentPassword, body.newPassword, { ip: req.ip })
        .catch((error: unknown) => {
          retryAfter(res, error);
          throw error;
        });
      return grant(req, res, g);
    },
  });

  api.add<{ code: string; displayName: string }>({
    method: 'post',
    path: '/api/join',
    operationId: 'joinTeam',
    summary: "Join a team with the instructor's code: sets a participant session cookie",
    tags: ['auth'],
    access: 'public',
    body: {
      type: 'object',
      required: ['code', 'displayName'],
      additionalProperties: false,
      properties: {
        code: { type: 'string', minLength: 16, maxLength: 40 },
        displayName: { type: 'string', minLength: 1, maxLength: 40 },
      },
    },
    response: { description: 'joined', schema: session },
    handler: async ({ principal, body, req, res }) => {
      const userId = principal?.kind === 'user' ? principal.userId : principal?.userId;
      try {
        return await grant(
          req,
          res,
          await accounts.join(body.code, body.displayName, { userId, ip: req.ip, actor: principal }),
        );
      } catch (error) {
        retryAfter(res, error);
        throw error;
      }
    },
  });

  // ── organisations and users ────────────────────────────────────────────────────────────────

  api.add({
    method: 'get',
    path: '/api/organisations',
    operationId: 'listOrganisations',
    summary: 'Every organisation (platform operator)',
    tags: ['accounts'],
    access: { roles: ['operator'] },
    response: {
      description: 'the organisations',
      schema: {
        type: 'object',
        required: ['organisations'],
        properties: { organisations: { type: 'array', items: organisation } },
      },
    },
    handler: async () => ({ organisations: await accounts.listOrganisations() }),
  });

  api.add<OrganisationDetails & { name: string; kind: OrganisationKind }>({
    method: 'post',
    path: '/api/organisations',
    operationId: 'createOrganisation',
    summary:
      'Create a training company or customer organisation with its CYNEX member category, contact and invoicing details (platform operator)',
    tags: ['accounts'],
    access: { roles: ['operator'] },
    body: {
      type: 'object',
      required: ['name', 'kind'],
      additionalProperties: false,
      properties: { ...ORGANISATION_FIELDS, name: NAME, kind: { enum: ['training-company', 'customer'] } },
    },
    response: { status: 201, description: 'created', schema: organisation },
    handler: ({ principal, body, req }) =>
      accounts.createOrganisationAs(principal as Principal, body, { ip: req.ip }),
  });

  const orgParams = { required: ['id'], properties: { id: ID } };

  /** Operators see every organisation; an org admin only their own (others: FORBIDDEN). */
  const orgFor = async (principal: Principal | undefined, id: string) => {
    const p = asUser(principal);
    if (p.role !== 'operator' && p.orgId !== id)
      throw new CyropError('FORBIDDEN', 'you may only manage your own organisation');
    const org = await accounts.getOrganisation(id);
    if (!org) throw new CyropError('NOT_FOUND', `no organisation '${id}'`);
    return org;
  };

  api.add<undefined, { id: string }>({
    method: 'get',
    path: '/api/organisations/{id}/users',
    operationId: 'listUsers',
    summary: "An organisation's users (platform operator; that organisation's admin)",
    tags: ['accounts'],
    access: { roles: ['operator', 'org-admin'] },
    params: orgParams,
    response: {
      description: 'the users',
      schema: { type: 'object', properties: { users: { type: 'array', items: user } } },
    },
    handler: async ({ principal, params }) => {
      const org = await orgFor(principal, params.id);
      return { users: await accounts.listUsers(org.id) };
    },
  });

  api.add<{ email: string; name: string; role: Role; password?: string }, { id: string }>({
    method: 'post',
    path: '/api/organisations/{id}/users',
    operationId: 'createUser',
    summary: 'Add a user; without a password, a one-time password is returned once',
    tags: ['accounts'],
    access: { roles: ['operator', 'org-admin'] },
    params: orgParams,
    body: {
      type: 'object',
      required: ['email', 'name', 'role'],
      additionalProperties: false,
      properties: { email: EMAIL, name: NAME, role: { enum: ROLES }, password: PASSWORD },
    },
    response: {
      status: 201,
      description: 'created',
      schema: {
        type: 'object',
        required: ['user'],
        properties: { user, oneTimePassword: { type: 'string' } },
      },
    },
    handler: async ({ principal, params, body, req }) => {
      const org = await orgFor(principal, params.id);
      return accounts.createUserAs(principal as Principal, { ...body, orgId: org.id }, { ip: req.ip });
    },
  });

  // ── join codes ─────────────────────────────────────────────────────────────────────────────

  api.add<{ expiresAt?: number; maxUses?: number }, { id: string; team: string }>({
    method: 'post',
    path: '/api/exercises/{id}/teams/{team}/join-codes',
    operationId: 'createJoinCode',
    summary:
      "A join code for one team (shown once): the exercise's organisation's instructors and admins, operators",
    tags: ['exercises'],
    access: STAFF,
    params: { required: ['id', 'team'], properties: { id: ID, team: ID } },
    body: {
      type: 'object',
      additionalProperties: false,
      properties: {
        expiresAt: {
          type: 'integer',
          minimum: 0,
          description: 'epoch ms; default: 24 h from now, at most 30 days',
        },
        maxUses: { type: 'integer', minimum: 1, maximum: 1000 },
      },
    },
    response: {
      status: 201,
      description: 'the code (never shown again)',
      schema: {
        type: 'object',
        required: ['code', 'exerciseId', 'teamId', 'expiresAt', 'maxUses'],
        properties: {
          code: { type: 'string' },
          exerciseId: { type: 'string' },
          teamId: { type: 'string' },
          expiresAt: { type: 'integer' },
          maxUses: { type: ['integer', 'null'] },
        },
      },
    },
    handler: async ({ principal, params, body, req }) => {
      const p = asUser(principal);
      const exercise = await accounts.exerciseOrg(params.id);
      // Another organisation's exercise is reported as missing: its existence is not ours to tell.
      if (!exercise || (p.role !== 'operator' && exercise.orgId !== p.orgId))
        throw new CyropError('NOT_FOUND', `no exercise '${params.id}' in your organisation`);
      return accounts.createJoinCode(params.id, params.team, {
        ...body,
        createdBy: `user:${p.userId}`,
        by: { actor: p, ip: req.ip },
      });
    },
  });

  // ── audit ──────────────────────────────────────────────────────────────────────────────────

  api.add<undefined, Record<string, string>, AuditQuery>({
    method: 'get',
    path: '/api/audit',
    operationId: 'listAudit',
    summary:
      'The audit log, newest first, filtered by actor, action prefix, target prefix and time (operator: everything; org admin: their organisation)',
    tags: ['accounts'],
    access: { roles: ['operator', 'org-admin'] },
    query: AUDIT_QUERY,
    response: {
      description: 'entries',
      schema: {
        type: 'object',
        required: ['entries'],
        properties: { entries: { type: 'array', items: auditEntry } },
      },
    },
    handler: async ({ principal, query }) => ({
      entries: await accounts.listAuditAs(principal as Principal, auditFilter(query)),
    }),
  });
}

/** A RATE_LIMITED answer says when to come back (`Retry-After`, seconds). */
function retryAfter(res: Response, error: unknown): void {
  if (!isCyropError(error) || error.code !== 'RATE_LIMITED') return;
  const seconds = (error.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
  if (seconds !== undefined) res.setHeader('Retry-After', String(seconds));
}

function asUser(principal: Principal | undefined): Extract<Principal, { kind: 'user' }> {
  if (principal?.kind !== 'user') throw new CyropError('FORBIDDEN', 'this needs a user account');
  return principal;
}
