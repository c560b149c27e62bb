import type { ApiRegistry, Principal } from '../api/api-registry.ts';
import { sessionToken } from '../api/auth/set-session-cookie.ts';
import { CyropError } from '../errors.ts';
import { webTargetOf, type WebAccessDeps } from './web-access.ts';
import type { WebGrants } from './web-grants.ts';
import { ENTER_PATH } from './web-proxy.ts';

export interface WebRouteDeps {
  access: WebAccessDeps;
  grants: WebGrants;
  /** The origin browsers reach the web service listener at, e.g. `http://127.0.0.1:8421`. */
  webOrigin: () => string;
  audit: (
    principal: Principal,
    action: string,
    target: string,
    details: Record<string, unknown>,
  ) => Promise<void>;
}

const ID = { type: 'string', pattern: '^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$' };

/**
 * `POST /api/exercises/{id}/teams/{team}/web`: a one-time link that opens one declared web service
 * of one of the team's hosts in the browser (web service tabs). Allowed like a terminal on that
 * team (web-access.ts); the link is good for one use within a minute, and the browser it signs in
 * keeps access only as long as the console session that asked for it.
 */
export function webRoutes(api: ApiRegistry, deps: WebRouteDeps): void {
  api.add<{ host: string; port: number }, { id: string; team: string }>({
    method: 'post',
    path: '/api/exercises/{id}/teams/{team}/web',
    operationId: 'openWebService',
    summary:
      "A one-time link that opens a web service of one of the team's hosts (members of the team, its staff)",
    tags: ['play'],
    access: 'authenticated',
    params: { required: ['id', 'team'], properties: { id: ID, team: ID } },
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['host', 'port'],
      properties: {
        host: { type: 'string', minLength: 1, maxLength: 63 },
        port: { type: 'integer', minimum: 1, maximum: 65535 },
      },
    },
    response: {
      status: 201,
      description: 'the link, to open in a new window, and when it stops working if unused',
      schema: {
        type: 'object',
        required: ['url', 'expiresAt'],
        properties: { url: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } },
      },
    },
    handler: async ({ principal, params, body, req }) => {
      const token = sessionToken(req);
      if (!principal || !token) throw new CyropError('UNAUTHENTICATED', 'sign in or join your team first');
      const target = await webTargetOf(deps.access, principal, {
        exerciseId: params.id,
        teamId: params.team,
        host: body.host,
        port: body.port,
      });
      const { ticket, expiresAt } = deps.grants.issueTicket({
        target,
        sessionToken: token,
        path: target.service.path,
      });
      await deps.audit(
        principal,
        'web.open',
        `${target.exerciseId}/${target.teamId}/${target.host}:${target.port}`,
        {},
      );
      return {
        url: `${deps.webOrigin()}${ENTER_PATH}?ticket=${ticket}`,
        expiresAt: new Date(expiresAt).toISOString(),
      };
    },
  });
}
