import type { AccountService } from '../../accounts/account-service.ts';
import type { InvitationService } from '../../accounts/invitation-service.ts';
import { CyropError } from '../../errors.ts';
import type { ApiRegistry, Principal } from '../api-registry.ts';
import { setSessionCookie, type SessionCookieOptions } from '../auth/set-session-cookie.ts';

export interface InvitationRouteDeps {
  accounts: AccountService;
  invitations: InvitationService;
  clock?: () => number;
  cookies?: SessionCookieOptions;
}

const ORG_ID = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' };
const TOKEN = { type: 'string', pattern: '^[A-Za-z0-9_-]{16,64}$' };

/**
 * Invitations by link: an org-admin (or the operator) invites an e-mail address with a role; whoever
 * opens the link chooses a name and a password and is signed in. Another organisation's invitations
 * answer 404.
 */
export function invitationRoutes(api: ApiRegistry, deps: InvitationRouteDeps): void {
  const { invitations, accounts } = deps;
  const clock = deps.clock ?? Date.now;
  const invitation = api.schema('Invitation', {
    type: 'object',
    required: ['id', 'email', 'role', 'state', 'expiresAt'],
    properties: {
      id: { type: 'string' },
      orgId: { type: 'string' },
      email: { type: 'string' },
      role: { enum: ['org-admin', 'instructor', 'trainee'] },
      name: { type: ['string', 'null'] },
      createdBy: { type: 'string' },
      createdAt: { type: 'integer' },
      expiresAt: { type: 'integer' },
      state: { enum: ['pending', 'accepted', 'revoked', 'expired'] },
      link: { type: 'string', description: 'the invitation link (only when it is created)' },
    },
  });

  const orgFor = async (principal: Principal | undefined, orgId: string) => {
    if (principal?.kind !== 'user') throw new CyropError('UNAUTHENTICATED', 'sign in first');
    // Another organisation's invitations do not exist for this caller.
    if (principal.role !== 'operator' && principal.orgId !== orgId)
      throw new CyropError('NOT_FOUND', `no organisation '${orgId}'`);
    if (!(await accounts.getOrganisation(orgId)))
      throw new CyropError('NOT_FOUND', `no organisation '${orgId}'`);
    return principal;
  };
  const orgParams = { required: ['id'], properties: { id: ORG_ID } };

  api.add<{ email: string; role: 'org-admin' | 'instructor' | 'trainee'; name?: string }, { id: string }>({
    method: 'post',
    path: '/api/organisations/{id}/invitations',
    operationId: 'createInvitation',
    summary: 'Invite an e-mail address to the organisation by link (valid 14 days, once)',
    tags: ['accounts'],
    access: { roles: ['operator', 'org-admin'] },
    params: orgParams,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['email', 'role'],
      properties: {
        email: { type: 'string', minLength: 3, maxLength: 254, pattern: '^[^\\s@\\p{Cc}]+@[^\\s@\\p{Cc}]+$' },
        role: { enum: ['org-admin', 'instructor', 'trainee'] },
        name: { type: 'string', minLength: 1, maxLength: 100 },
      },
    },
    response: { status: 201, description: 'the invitation with its link (shown once)', schema: invitation },
    handler: async ({ principal, params, body, req }) => {
      const actor = await orgFor(principal, params.id);
      const created = await invitations.create(params.id, body, { actor, ip: req.ip });
      return { ...created.invitation, link: `/#/invite/${created.token}` };
    },
  });

  api.add<undefined, { id: string }>({
    method: 'get',
    path: '/api/organisations/{id}/invitations',
    operationId: 'listInvitations',
    summary: "The organisation's invitations, newest first",
    tags: ['accounts'],
    access: { roles: ['operator', 'org-admin'] },
    params: orgParams,
    response: {
      description: 'invitations',
      schema: { type: 'object', properties: { invitations: { type: 'array', items: invitation } } },
    },
    handler: async ({ principal, params }) => {
      await orgFor(principal, params.id);
      return { invitations: await invitations.list(params.id) };
    },
  });

  api.add<undefined, { id: string; invitationId: string }>({
    method: 'delete',
    path: '/api/organisations/{id}/invitations/{invitationId}',
    operationId: 'revokeInvitation',
    summary: 'Revoke an invitation that was not accepted',
    tags: ['accounts'],
    access: { roles: ['operator', 'org-admin'] },
    params: {
      required: ['id', 'invitationId'],
      properties: { id: ORG_ID, invitationId: { type: 'string', pattern: '^[0-9a-f-]{36}$' } },
    },
    response: { description: 'revoked', schema: invitation },
    handler: async ({ principal, params, req }) => {
      const actor = await orgFor(principal, params.id);
      return invitations.revoke(params.id, params.invitationId, { actor, ip: req.ip });
    },
  });

  api.add<undefined, { token: string }>({
    method: 'get',
    path: '/api/invitations/{token}',
    operationId: 'describeInvitation',
    summary: 'What an invitation link offers (organisation, e-mail, role)',
    tags: ['auth'],
    access: 'public',
    params: { required: ['token'], properties: { token: TOKEN } },
    response: {
      description: 'the invitation',
      schema: {
        type: 'object',
        required: ['email', 'role', 'name', 'organisation', 'expiresAt'],
        properties: {
          email: { type: 'string' },
          role: { type: 'string' },
          name: { type: ['string', 'null'] },
          organisation: { type: 'string' },
          expiresAt: { type: 'integer' },
        },
      },
    },
    handler: ({ params }) => invitations.describe(params.token),
  });

  api.add<{ token: string; name: string; password: string }>({
    method: 'post',
    path: '/api/invitations/accept',
    operationId: 'acceptInvitation',
    summary: 'Accept an invitation: creates the account with this name and password and signs it in',
    tags: ['auth'],
    access: 'public',
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['token', 'name', 'password'],
      properties: {
        token: TOKEN,
        name: { type: 'string', minLength: 1, maxLength: 100 },
        password: { type: 'string', minLength: 1, maxLength: 200 },
      },
    },
    response: { description: 'signed in', schema: { $ref: '#/components/schemas/Session' } },
    handler: async ({ body, req, res }) => {
      const g = await invitations.accept(body.token, { name: body.name, password: body.password }, req.ip);
      setSessionCookie(req, res, g.token, (g.expiresAt - clock()) / 1000, deps.cookies);
      return { principal: g.principal, mustChangePassword: g.mustChangePassword, expiresAt: g.expiresAt };
    },
  });
}
