import { parseRosterCsv } from '../../accounts/roster-csv.ts';
import type { RosterService } from '../../accounts/roster-service.ts';
import { CyropError } from '../../errors.ts';
import { STAFF, type ApiRegistry, type Principal } from '../api-registry.ts';
import { setSessionCookie, type SessionCookieOptions } from '../auth/set-session-cookie.ts';
import { mustWatchExercise } from '../../access/exercise-access.ts';
import { inviteLinks } from './exercise-routes.ts';

export interface RosterRouteDeps {
  rosters: RosterService;
  canWatch: (principal: Principal, exerciseId: string) => boolean | Promise<boolean>;
  clock?: () => number;
  cookies?: SessionCookieOptions;
}

const ID = { type: 'string', pattern: '^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$' };
const list = (items: Record<string, unknown>) => ({ type: 'array', items });

/**
 * Teams and their people: an exercise's members and roster import, its join codes (listed, revoked),
 * a printable join sheet; a trainee's own exercises and entering one without a code.
 */
export function rosterRoutes(api: ApiRegistry, deps: RosterRouteDeps): void {
  const { rosters } = deps;
  const clock = deps.clock ?? Date.now;
  const own = (principal: Principal | undefined, id: string) =>
    mustWatchExercise(deps.canWatch, principal, id);
  const exerciseParams = { required: ['id'], properties: { id: ID } };
  const member = api.schema('TeamMember', {
    type: 'object',
    required: ['id', 'teamId', 'displayName', 'hasAccount', 'source'],
    properties: {
      id: { type: 'string' },
      teamId: { type: 'string' },
      displayName: { type: 'string' },
      email: { type: ['string', 'null'] },
      userId: { type: ['string', 'null'] },
      hasAccount: { type: 'boolean' },
      source: { enum: ['roster', 'join'] },
      createdAt: { type: 'integer' },
    },
  });
  const joinCode = api.schema('JoinCodeInfo', {
    type: 'object',
    required: ['id', 'teamId', 'label', 'createdBy', 'createdAt', 'expiresAt', 'maxUses', 'uses', 'state'],
    properties: {
      id: { type: 'string' },
      teamId: { type: 'string' },
      label: { type: ['string', 'null'] },
      createdBy: { type: 'string' },
      createdAt: { type: 'integer' },
      expiresAt: { type: 'integer' },
      maxUses: { type: ['integer', 'null'] },
      uses: { type: 'integer' },
      state: { enum: ['active', 'revoked', 'expired', 'used-up'] },
    },
  });
  api.add<undefined, { id: string }>({
    method: 'get',
    path: '/api/exercises/{id}/members',
    operationId: 'listMembers',
    summary: 'The members of every team: roster entries and who joined with a code',
    tags: ['exercises'],
    access: STAFF,
    params: exerciseParams,
    response: {
      description: 'members and teams',
      schema: {
        type: 'object',
        required: ['teams', 'members'],
        properties: {
          teams: list({
            type: 'object',
            required: ['id', 'name'],
            properties: { id: { type: 'string' }, name: { type: 'string' } },
          }),
          members: list(member),
        },
      },
    },
    handler: async ({ principal, params }) => {
      await own(principal, params.id);
      return { teams: await rosters.teams(params.id), members: await rosters.members(params.id) };
    },
  });

  api.add<{ csv: string }, { id: string }>({
    method: 'post',
    path: '/api/exercises/{id}/roster',
    operationId: 'importRoster',
    summary:
      'Add trainees from a CSV roster (team, display name, optional e-mail; UTF-8 with or without BOM, English or Japanese headers). All or nothing: every bad line is reported.',
    tags: ['exercises'],
    access: STAFF,
    params: exerciseParams,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['csv'],
      properties: { csv: { type: 'string', minLength: 1, maxLength: 512 * 1024 } },
    },
    response: {
      status: 201,
      description: 'added; invitation links for e-mails without an account (shown once)',
      schema: {
        type: 'object',
        required: ['added', 'invitations', 'notInvited'],
        properties: {
          added: { type: 'integer' },
          invitations: list({
            type: 'object',
            required: ['email', 'link'],
            properties: { email: { type: 'string' }, link: { type: 'string' } },
          }),
          notInvited: list({ type: 'string' }),
        },
      },
    },
    handler: async ({ principal, params, body, req }) => {
      await own(principal, params.id);
      const parsed = parseRosterCsv(body.csv);
      if (parsed.problems.length > 0)
        throw new CyropError(
          'BAD_REQUEST',
          `roster: ${parsed.problems.length} problem(s); nothing was imported`,
          {
            details: parsed.problems,
          },
        );
      const imported = await rosters.importRoster(params.id, parsed.rows, {
        actor: principal as Principal,
        ip: req.ip,
      });
      return inviteLinks(imported);
    },
  });

  api.add<undefined, { id: string }>({
    method: 'get',
    path: '/api/exercises/{id}/join-codes',
    operationId: 'listJoinCodes',
    summary: 'Every join code of the exercise, by id (the codes themselves are shown once, when made)',
    tags: ['exercises'],
    access: STAFF,
    params: exerciseParams,
    response: {
      description: 'join codes',
      schema: { type: 'object', required: ['joinCodes'], properties: { joinCodes: list(joinCode) } },
    },
    handler: async ({ principal, params }) => {
      await own(principal, params.id);
      return { joinCodes: await rosters.joinCodes(params.id) };
    },
  });

  api.add<undefined, { id: string; codeId: string }>({
    method: 'post',
    path: '/api/exercises/{id}/join-codes/{codeId}/revoke',
    operationId: 'revokeJoinCode',
    summary: 'A join code joins nobody from now on',
    tags: ['exercises'],
    access: STAFF,
    params: {
      required: ['id', 'codeId'],
      properties: { id: ID, codeId: { type: 'string', pattern: '^[0-9a-f]{16}$' } },
    },
    response: { description: 'the code, revoked', schema: joinCode },
    handler: async ({ principal, params, req }) => {
      await own(principal, params.id);
      return rosters.revokeJoinCode(params.id, params.codeId, { actor: principal as Principal, ip: req.ip });
    },
  });

  api.add<{ expiresAt?: number }, { id: string }>({
    method: 'post',
    path: '/api/exercises/{id}/join-sheet',
    operationId: 'createJoinSheet',
    summary: 'A fresh join code per team for a printed join sheet (one page per team), with the roster names',
    tags: ['exercises'],
    access: STAFF,
    params: exerciseParams,
    body: {
      type: 'object',
      additionalProperties: false,
      properties: {
        expiresAt: {
          type: 'integer',
          minimum: 0,
          description: 'epoch ms; default 24 h from now, at most 30 days',
        },
      },
    },
    response: {
      status: 201,
      description: 'the sheet (the codes are shown this once)',
      schema: {
        type: 'object',
        required: ['teams'],
        properties: {
          teams: list({
            type: 'object',
            required: ['teamId', 'teamName', 'code', 'expiresAt', 'members'],
            properties: {
              teamId: { type: 'string' },
              teamName: { type: 'string' },
              code: { type: 'string' },
              expiresAt: { type: 'integer' },
              members: list({ type: 'string' }),
            },
          }),
        },
      },
    },
    handler: async ({ principal, params, body, req }) => {
      await own(principal, params.id);
      const teams = await rosters.joinSheet(params.id, {
        actor: principal as Principal,
        ip: req.ip,
        ...(body.expiresAt !== undefined ? { expiresAt: body.expiresAt } : {}),
      });
      return { teams };
    },
  });

  // ── a trainee's own exercises ──────────────────────────────────────────────────────────────

  api.add<undefined>({
    method: 'get',
    path: '/api/me/exercises',
    operationId: 'listMyExercises',
    summary: 'The live exercises the signed-in user is a team member of (roster or joined)',
    tags: ['auth'],
    access: { roles: ['operator', 'org-admin', 'instructor', 'trainee'] },
    response: {
      description: 'exercises',
      schema: {
        type: 'object',
        required: ['exercises'],
        properties: {
          exercises: list({
            type: 'object',
            required: ['exerciseId', 'teamId', 'teamName', 'scenario', 'state', 'expiresAt'],
            properties: {
              exerciseId: { type: 'string' },
              teamId: { type: 'string' },
              teamName: { type: 'string' },
              scenario: { type: 'string' },
              state: { type: 'string' },
              expiresAt: { type: ['integer', 'null'] },
            },
          }),
        },
      },
    },
    handler: async ({ principal }) => ({
      exercises: principal?.kind === 'user' ? await rosters.myExercises(principal.userId) : [],
    }),
  });

  api.add<undefined, { id: string }>({
    method: 'post',
    path: '/api/me/exercises/{id}/enter',
    operationId: 'enterExercise',
    summary: "Enter one's team of a running exercise without a code: sets a participant session cookie",
    tags: ['auth'],
    access: { roles: ['operator', 'org-admin', 'instructor', 'trainee'] },
    params: exerciseParams,
    response: { description: 'entered', schema: { $ref: '#/components/schemas/Session' } },
    handler: async ({ principal, params, req, res }) => {
      const g = await rosters.enter(params.id, principal, req.ip);
      setSessionCookie(req, res, g.token, (g.expiresAt - clock()) / 1000, deps.cookies);
      return { principal: g.principal, mustChangePassword: false, expiresAt: g.expiresAt };
    },
  });
}
