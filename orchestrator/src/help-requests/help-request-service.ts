import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { CyropError } from '../errors.ts';
import type { Db } from '../store/database.ts';
import type { HelpRequestsTable } from '../store/schema.ts';

export type { HelpRequest, HelpRequestState } from '../../../contract/scoring-events.ts';
import type { HelpRequest } from '../../../contract/scoring-events.ts';

/** What a team is told of its own latest request, and when it may ask again. */
export interface TeamHelpState {
  request: HelpRequest | null;
  /** Milliseconds until the team may ask again (0: now; an unresolved request also blocks). */
  retryAfterMs: number;
}

/** What the service needs to know of a team: its exercise's state, its hosts and objectives. */
export type TeamScope = (
  exerciseId: string,
  teamId: string,
) => Promise<{ state: string; hosts: readonly string[]; objectives: readonly string[] }>;

export interface HelpRequestServiceOptions {
  db: Db;
  scope: TeamScope;
  /** Least time between two requests of one team (default 60 s): a team cannot flood its instructors. */
  minIntervalMs?: number;
  clock?: () => number;
}

/** The longest text a trainee may send with a request. */
export const MAX_HELP_MESSAGE_CHARS = 500;
/** Resolved requests listed for instructors beside the unresolved ones (the newest). */
const RESOLVED_LISTED = 50;
/** Exercise states in which nobody asks for help any more. */
const OVER = new Set(['tearing-down', 'ended']);

/**
 * Help requests of trainees to the instructors of their exercise: at most one unresolved request
 * per team (a second is refused with CONFLICT naming the first; the database's partial unique index
 * is the last guard), at most one new request per team every `minIntervalMs` (RATE_LIMITED with
 * `details.retryAfterMs`). Instructors acknowledge ("seen") and resolve. Every change goes to the
 * listeners after it is stored (the scoring socket pushes it to the exercise's instructors and to
 * the team).
 */
export class HelpRequestService {
  private readonly db: Db;
  private readonly scope: TeamScope;
  private readonly minIntervalMs: number;
  private readonly clock: () => number;
  private readonly listeners = new Set<(request: HelpRequest) => void>();

  constructor(options: HelpRequestServiceOptions) {
    this.db = options.db;
    this.scope = options.scope;
    this.minIntervalMs = options.minIntervalMs ?? 60_000;
    this.clock = options.clock ?? Date.now;
  }

  subscribe(listener: (request: HelpRequest) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A trainee of `teamId` asks for help. */
  async ask(
    exerciseId: string,
    teamId: string,
    requestedBy: string,
    input: { message?: string; objective?: string; host?: string },
  ): Promise<HelpRequest> {
    const message = (input.message ?? '').trim();
    if (Array.from(new Intl.Segmenter().segment(message)).length > MAX_HELP_MESSAGE_CHARS)
      throw new CyropError('BAD_REQUEST', `message: at most ${MAX_HELP_MESSAGE_CHARS} characters`, {
        details: { field: 'message' },
      });
    if (/[\p{Cc}]/u.test(message.replace(/\r?\n/g, '')))
      throw new CyropError('BAD_REQUEST', 'message: control characters are not allowed', {
        details: { field: 'message' },
      });
    const scope = await this.scope(exerciseId, teamId);
    if (OVER.has(scope.state))
      throw new CyropError('EXERCISE_ENDED', `exercise '${exerciseId}' has ended: no more help requests`);
    if (input.objective !== undefined && !scope.objectives.includes(input.objective))
      throw new CyropError(
        'BAD_REQUEST',
        `objective: '${input.objective}' is not an objective of this exercise`,
        {
          details: { field: 'objective' },
        },
      );
    if (input.host !== undefined && !scope.hosts.includes(input.host))
      throw new CyropError('BAD_REQUEST', `host: '${input.host}' is not a host of your team`, {
        details: { field: 'host' },
      });
    const now = this.clock();
    const latest = await this.latestOf(exerciseId, teamId);
    if (latest && latest.state !== 'resolved')
      throw new CyropError(
        'CONFLICT',
        `your team already asked for help (${latest.requestedBy}, request ${latest.id}); an instructor will answer it — you can ask again once it is resolved`,
        { details: { request: latest } },
      );
    const wait = latest ? latest.createdAt + this.minIntervalMs - now : 0;
    if (wait > 0)
      throw new CyropError(
        'RATE_LIMITED',
        `your team asked for help moments ago; ask again in ${Math.ceil(wait / 1000)} s`,
        { details: { retryAfterMs: wait } },
      );
    const row: HelpRequestsTable = {
      id: randomBytes(8).toString('hex'),
      exercise_id: exerciseId,
      team_id: teamId,
      requested_by: requestedBy,
      message,
      objective_id: input.objective ?? null,
      host: input.host ?? null,
      state: 'open',
      created_at: now,
      acknowledged_at: null,
      acknowledged_by: null,
      resolved_at: null,
      resolved_by: null,
    };
    try {
      await this.db.insertInto('help_requests').values(row).execute();
    } catch (error) {
      // a request of the same team stored between our read and this write
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE')
        throw new CyropError('CONFLICT', 'your team already asked for help; wait for an instructor', {
          cause: error,
        });
      throw error;
    }
    return this.changed(fromRow(row));
  }

  /** The team's latest request and when it may ask again. */
  async ofTeam(exerciseId: string, teamId: string): Promise<TeamHelpState> {
    const latest = await this.latestOf(exerciseId, teamId);
    if (!latest) return { request: null, retryAfterMs: 0 };
    const retryAfterMs =
      latest.state === 'resolved' ? Math.max(0, latest.createdAt + this.minIntervalMs - this.clock()) : 0;
    return { request: latest, retryAfterMs };
  }

  /** The exercise's unresolved requests (oldest first), then the latest resolved ones (newest first). */
  async list(exerciseId: string): Promise<HelpRequest[]> {
    const unresolved = await this.db
      .selectFrom('help_requests')
      .selectAll()
      .where('exercise_id', '=', exerciseId)
      .where('state', '<>', 'resolved')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    const resolved = await this.db
      .selectFrom('help_requests')
      .selectAll()
      .where('exercise_id', '=', exerciseId)
      .where('state', '=', 'resolved')
      .orderBy('resolved_at', 'desc')
      .limit(RESOLVED_LISTED)
      .execute();
    return [...unresolved, ...resolved].map(fromRow);
  }

  /** An instructor has seen the request (a resolved one stays resolved: CONFLICT). */
  async acknowledge(exerciseId: string, id: string, by: string): Promise<HelpRequest> {
    const request = await this.get(exerciseId, id);
    if (request.state === 'acknowledged') return request;
    if (request.state === 'resolved')
      throw new CyropError('CONFLICT', `help request ${id} is already resolved`);
    const now = this.clock();
    await this.db
      .updateTable('help_requests')
      .set({ state: 'acknowledged', acknowledged_at: now, acknowledged_by: by })
      .where('id', '=', id)
      .where('state', '=', 'open')
      .execute();
    return this.changed(await this.get(exerciseId, id));
  }

  /** The request is dealt with (resolving a resolved one changes nothing). */
  async resolve(exerciseId: string, id: string, by: string): Promise<HelpRequest> {
    const request = await this.get(exerciseId, id);
    if (request.state === 'resolved') return request;
    const now = this.clock();
    await this.db
      .updateTable('help_requests')
      .set({
        state: 'resolved',
        resolved_at: now,
        resolved_by: by,
        // resolved without an acknowledgement: it was seen then
        acknowledged_at: request.acknowledgedAt ?? now,
        acknowledged_by: request.acknowledgedBy ?? by,
      })
      .where('id', '=', id)
      .where('state', '<>', 'resolved')
      .execute();
    return this.changed(await this.get(exerciseId, id));
  }

  /**
   * The team no longer needs help: its unresolved request is resolved, by nobody (`withdrawn`).
   * NOT_FOUND when the team has none; the time before it may ask again is unchanged.
   */
  async withdraw(exerciseId: string, teamId: string): Promise<HelpRequest> {
    const latest = await this.latestOf(exerciseId, teamId);
    if (!latest || latest.state === 'resolved')
      throw new CyropError('NOT_FOUND', 'your team has no open help request to withdraw');
    await this.db
      .updateTable('help_requests')
      .set({ state: 'resolved', resolved_at: this.clock(), resolved_by: null })
      .where('id', '=', latest.id)
      .where('state', '<>', 'resolved')
      .execute();
    return this.changed(await this.get(exerciseId, latest.id));
  }

  /** One request of an exercise (NOT_FOUND when it is not one of that exercise's). */
  async get(exerciseId: string, id: string): Promise<HelpRequest> {
    const row = await this.db
      .selectFrom('help_requests')
      .selectAll()
      .where('id', '=', id)
      .where('exercise_id', '=', exerciseId)
      .executeTakeFirst();
    if (!row) throw new CyropError('NOT_FOUND', `no help request '${id}' in exercise '${exerciseId}'`);
    return fromRow(row);
  }

  private async latestOf(exerciseId: string, teamId: string): Promise<HelpRequest | undefined> {
    const row = await this.db
      .selectFrom('help_requests')
      .selectAll()
      .where('exercise_id', '=', exerciseId)
      .where('team_id', '=', teamId)
      .orderBy('created_at', 'desc')
      .orderBy(sql`rowid`, 'desc')
      .executeTakeFirst();
    return row && fromRow(row);
  }

  private changed(request: HelpRequest): HelpRequest {
    for (const listener of this.listeners) {
      try {
        listener(request);
      } catch {
        // a push that failed must not undo what is stored; the page reloads the list on reconnect
      }
    }
    return request;
  }
}

/** What a team member sees of a request: not which instructor acknowledged or resolved it. */
export function forTeam(request: HelpRequest): HelpRequest {
  return { ...request, acknowledgedBy: null, resolvedBy: null };
}

function fromRow(row: HelpRequestsTable): HelpRequest {
  return {
    id: row.id,
    exerciseId: row.exercise_id,
    teamId: row.team_id,
    requestedBy: row.requested_by,
    message: row.message,
    objectiveId: row.objective_id,
    host: row.host,
    state: row.state,
    createdAt: row.created_at,
    acknowledgedAt: row.acknowledged_at,
    acknowledgedBy: row.acknowledged_by,
    resolvedAt: row.resolved_at,
    resolvedBy: row.resolved_by,
    withdrawn: row.state === 'resolved' && row.resolved_by === null,
  };
}
