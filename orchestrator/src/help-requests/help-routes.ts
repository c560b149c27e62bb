import { mustWatchExercise } from '../access/exercise-access.ts';
import { STAFF, type ApiRegistry, type JsonSchema, type Principal } from '../api/api-registry.ts';
import { CyropError } from '../errors.ts';
import {
  forTeam,
  MAX_HELP_MESSAGE_CHARS,
  type HelpRequest,
  type HelpRequestService,
} from './help-request-service.ts';

export interface HelpRouteDeps {
  service: HelpRequestService;
  /** Whether a user may see everything of an exercise (an instructor of its organisation). */
  canWatch: (principal: Principal, exerciseId: string) => boolean | Promise<boolean>;
  /** Writes an audit entry (the account service's audit log). */
  audit: (
    actor: Principal,
    action: string,
    target: string,
    details: Record<string, unknown>,
  ) => Promise<void>;
}

const ID = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' } as const;

/**
 * Help requests over HTTP. Trainees (`/api/play/help`) ask for their own team of their own exercise
 * (both from the session, never the request). Instructors (`/api/exercises/{id}/help-requests`)
 * need a staff role and `canWatch`; another organisation's exercise answers 404.
 */
export function helpRoutes(api: ApiRegistry, { service, canWatch, audit }: HelpRouteDeps): void {
  const request = api.schema('HelpRequest', {
    type: 'object',
    required: [
      'id',
      'exerciseId',
      'teamId',
      'requestedBy',
      'message',
      'objectiveId',
      'host',
      'state',
      'createdAt',
      'acknowledgedAt',
      'acknowledgedBy',
      'resolvedAt',
      'resolvedBy',
      'withdrawn',
    ],
    properties: {
      id: { type: 'string' },
      exerciseId: { type: 'string' },
      teamId: { type: 'string' },
      requestedBy: { type: 'string', description: 'the display name of the trainee who asked' },
      message: { type: 'string' },
      objectiveId: { type: ['string', 'null'] },
      host: { type: ['string', 'null'] },
      state: { enum: ['open', 'acknowledged', 'resolved'] },
      createdAt: { type: 'integer' },
      acknowledgedAt: { type: ['integer', 'null'] },
      acknowledgedBy: { type: ['string', 'null'], description: "the instructor's name (null for trainees)" },
      resolvedAt: { type: ['integer', 'null'] },
      resolvedBy: { type: ['string', 'null'], description: "the instructor's name (null for trainees)" },
      withdrawn: { type: 'boolean', description: 'resolved by the team itself: it no longer needs help' },
    },
  });
  const participant = (principal: Principal | undefined) => {
    if (principal?.kind !== 'participant')
      throw new CyropError('FORBIDDEN', 'only members of a team may do this');
    return principal;
  };
  const teamState: JsonSchema = {
    type: 'object',
    required: ['request', 'retryAfterMs'],
    properties: {
      request: { oneOf: [request, { type: 'null' }] },
      retryAfterMs: { type: 'integer', description: 'milliseconds until the team may ask again' },
    },
  };

  api.add<{ message?: string; objective?: string; host?: string }>({
    method: 'post',
    path: '/api/play/help',
    operationId: 'playAskHelp',
    summary:
      "Ask the exercise's instructors for help (one unresolved request per team; a team asks at most once a minute)",
    tags: ['play'],
    access: 'participant',
    body: {
      type: 'object',
      additionalProperties: false,
      properties: {
        message: { type: 'string', maxLength: MAX_HELP_MESSAGE_CHARS },
        objective: ID,
        host: ID,
      },
    },
    response: {
      status: 201,
      description:
        'the request, stored and pushed to the instructors; 409 CONFLICT while one is unresolved, 429 with Retry-After when asked again too soon',
      schema: request,
    },
    handler: async ({ principal, body, res }) => {
      const p = participant(principal);
      let created: HelpRequest;
      try {
        created = await service.ask(p.exerciseId, p.teamId, p.name, {
          ...(body.message !== undefined ? { message: body.message } : {}),
          ...(body.objective !== undefined ? { objective: body.objective } : {}),
          ...(body.host !== undefined ? { host: body.host } : {}),
        });
      } catch (error) {
        const retryAfterMs = (error as { details?: { retryAfterMs?: number } }).details?.retryAfterMs;
        if (retryAfterMs !== undefined)
          res.setHeader('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
        throw error;
      }
      await audit(p, 'exercise.help-request', p.exerciseId, {
        request: created.id,
        team: p.teamId,
        ...(created.objectiveId !== null ? { objective: created.objectiveId } : {}),
        ...(created.host !== null ? { host: created.host } : {}),
      });
      return forTeam(created);
    },
  });

  api.add({
    method: 'get',
    path: '/api/play/help',
    operationId: 'playHelpState',
    summary: "The team's latest help request (sent, seen or resolved) and when it may ask again",
    tags: ['play'],
    access: 'participant',
    response: { description: "the team's latest request, or null", schema: teamState },
    handler: async ({ principal }) => {
      const p = participant(principal);
      const state = await service.ofTeam(p.exerciseId, p.teamId);
      return { request: state.request && forTeam(state.request), retryAfterMs: state.retryAfterMs };
    },
  });

  api.add({
    method: 'delete',
    path: '/api/play/help',
    operationId: 'playHelpWithdraw',
    summary: "Withdraw the team's open help request (it no longer needs help); 404 when it has none",
    tags: ['play'],
    access: 'participant',
    response: { description: 'the request, resolved and withdrawn', schema: request },
    handler: async ({ principal }) => {
      const p = participant(principal);
      const withdrawn = await service.withdraw(p.exerciseId, p.teamId);
      await audit(p, 'exercise.help-withdraw', p.exerciseId, { request: withdrawn.id, team: p.teamId });
      return forTeam(withdrawn);
    },
  });

  const params = { required: ['id'], properties: { id: ID } };
  api.add<undefined, { id: string }>({
    method: 'get',
    path: '/api/exercises/{id}/help-requests',
    operationId: 'exerciseHelpRequests',
    summary: "An exercise's help requests: the unresolved ones (oldest first), then the latest resolved",
    tags: ['exercises'],
    access: STAFF,
    params,
    response: {
      description: 'the requests',
      schema: {
        type: 'object',
        required: ['exerciseId', 'requests'],
        properties: { exerciseId: { type: 'string' }, requests: { type: 'array', items: request } },
      },
    },
    handler: async ({ principal, params: { id } }) => {
      await mustWatchExercise(canWatch, principal, id);
      return { exerciseId: id, requests: await service.list(id) };
    },
  });

  for (const action of ['acknowledge', 'resolve'] as const)
    api.add<undefined, { id: string; request: string }>({
      method: 'post',
      path: `/api/exercises/{id}/help-requests/{request}/${action}`,
      operationId: action === 'acknowledge' ? 'exerciseHelpAcknowledge' : 'exerciseHelpResolve',
      summary:
        action === 'acknowledge'
          ? 'Tell the team its help request was seen (409 when already resolved)'
          : 'Mark a help request resolved (the team may ask again)',
      tags: ['exercises'],
      access: STAFF,
      params: { required: ['id', 'request'], properties: { id: ID, request: ID } },
      response: { description: 'the request as it is now', schema: request },
      handler: async ({ principal, params: { id, request: requestId } }) => {
        const who = await mustWatchExercise(canWatch, principal, id);
        const updated =
          action === 'acknowledge'
            ? await service.acknowledge(id, requestId, who.name)
            : await service.resolve(id, requestId, who.name);
        await audit(who, `exercise.help-${action}`, id, { request: requestId, team: updated.teamId });
        return updated;
      },
    });
}
