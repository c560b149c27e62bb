import type { Namespace, Server, Socket } from 'socket.io';
import { STAFF_ROLES, type Principal } from '../api/api-registry.ts';
import { isCyropError } from '../errors.ts';
import type { ScoreboardProjection } from '../scoring/scoreboard-projection.ts';
import type { ScoringEvent } from '../scoring/scoring-events.ts';
import {
  SCORING_NAMESPACE,
  type BoardSnapshotMessage,
  type ScoringClientToServer,
  type ScoringInterServer,
  type ScoringServerToClient,
} from '../../../contract/scoring-events.ts';
import type { ScoringService } from './scoring-service.ts';

/** What the server keeps on each `/scoring` socket. */
export interface ScoringSocketData {
  principal?: Principal;
}

export type ScoringSocket = Socket<
  ScoringClientToServer,
  ScoringServerToClient,
  ScoringInterServer,
  ScoringSocketData
>;
export type ScoringNamespace = Namespace<
  ScoringClientToServer,
  ScoringServerToClient,
  ScoringInterServer,
  ScoringSocketData
>;

/**
 * Resolves who opened a socket (session cookie in the handshake, …); undefined refuses it. With the
 * session's id, `endSessions` can close the socket when that session ends (sign-out, expiry).
 */
export type SocketAuthenticator = (
  socket: Socket,
) => Promise<Principal | { principal: Principal; sessionId: string } | undefined>;

/** Detaches the service listener; `endSessions` disconnects the sockets of sessions that ended. */
export type ScoringSocketHandle = (() => void) & { endSessions(sessionIds: readonly string[]): void };

/** Whether a user principal may watch everything of an exercise (instructors of its organisation). */
export type CanWatch = (principal: Principal, exerciseId: string) => boolean | Promise<boolean>;

const WATCH_ROLES = new Set<string>(STAFF_ROLES);

export const scoringRooms = {
  public: (exerciseId: string) => `${exerciseId}:public`,
  team: (exerciseId: string, teamId: string) => `${exerciseId}:team:${teamId}`,
  instructors: (exerciseId: string) => `${exerciseId}:instructors`,
};

/**
 * Live scoring over socket.io in the `/scoring` namespace (create the server with
 * `transports: ['websocket']`). Rooms per exercise: `public` (every subscriber: `board:delta`),
 * `team:<id>` (that team only: `team:update`, its own events as it sees them) and `instructors`
 * (`instructor:update`: every event, the live board, sharing reports). A participant is subscribed
 * to its own exercise and team on connection and can subscribe to nothing else; a user is
 * subscribed to an exercise by `subscribe` only if `canWatch` says so and the role allows it.
 * Returns a function that detaches the service listener, with `endSessions` to close the sockets of
 * sessions that ended (sign-out: nothing streams to a browser that signed out).
 */
export function attachScoringSocket(
  io: Server,
  service: ScoringService,
  authenticateSocket: SocketAuthenticator,
  canWatch: CanWatch = () => false,
): ScoringSocketHandle {
  const nsp = io.of(SCORING_NAMESPACE) as unknown as ScoringNamespace;
  /** The session each socket was opened by (when the authenticator tells it). */
  const sessionOf = new WeakMap<object, string>();

  nsp.use((socket, next) => {
    authenticateSocket(socket as unknown as Socket).then(
      (who) => {
        if (!who) {
          next(new Error('UNAUTHENTICATED'));
          return;
        }
        if ('sessionId' in who) {
          socket.data.principal = who.principal;
          sessionOf.set(socket, who.sessionId);
        } else socket.data.principal = who;
        next();
      },
      () => {
        next(new Error('UNAUTHENTICATED'));
      },
    );
  });

  nsp.on('connection', (socket) => {
    const principal = socket.data.principal;
    if (!principal) {
      socket.disconnect(true);
      return;
    }
    if (principal.kind === 'participant') {
      service.load(principal.exerciseId).then(
        (projection) => {
          if (!socket.connected) return;
          void socket.join([
            scoringRooms.public(principal.exerciseId),
            scoringRooms.team(principal.exerciseId, principal.teamId),
          ]);
          socket.emit('board:snapshot', snapshotFor(principal, projection));
        },
        (error: unknown) => {
          socket.emit('scoring:error', errorMessage(error));
          socket.disconnect(true);
        },
      );
    }

    socket.on('subscribe', (request, reply) => {
      const ack = typeof reply === 'function' ? reply : () => undefined;
      const exerciseId = exerciseIdOf(request);
      if (typeof exerciseId !== 'string' || exerciseId === '') {
        ack({ ok: false, error: { code: 'BAD_REQUEST', message: 'name the exercise' } });
        return;
      }
      void (async () => {
        try {
          // Another exercise is answered as missing, never as forbidden: its existence is not ours to tell.
          if (principal.kind === 'participant') {
            if (exerciseId !== principal.exerciseId)
              throw Object.assign(new Error(`no exercise '${exerciseId}'`), { code: 'NOT_FOUND' });
          } else if (!WATCH_ROLES.has(principal.role)) {
            throw Object.assign(new Error('only staff watch exercises'), { code: 'FORBIDDEN' });
          } else if (!(await canWatch(principal, exerciseId))) {
            throw Object.assign(new Error(`no exercise '${exerciseId}'`), { code: 'NOT_FOUND' });
          }
          const projection = await service.load(exerciseId);
          if (!socket.connected) return;
          const rooms = [scoringRooms.public(exerciseId)];
          if (principal.kind === 'participant') rooms.push(scoringRooms.team(exerciseId, principal.teamId));
          else rooms.push(scoringRooms.instructors(exerciseId));
          void socket.join(rooms);
          const snapshot = snapshotFor(principal, projection);
          socket.emit('board:snapshot', snapshot);
          ack({ ok: true, snapshot });
        } catch (error) {
          ack({ ok: false, error: errorMessage(error) });
        }
      })();
    });

    socket.on('unsubscribe', (request) => {
      const exerciseId = exerciseIdOf(request);
      if (typeof exerciseId !== 'string' || principal.kind === 'participant') return;
      void socket.leave(scoringRooms.public(exerciseId));
      void socket.leave(scoringRooms.instructors(exerciseId));
    });
  });

  const detach = service.subscribe(({ exerciseId, event, delta }) => {
    const projection = service.projectionOf(exerciseId);
    if (delta.board.public.length > 0 || delta.objectives.public.length > 0 || delta.teamId === null)
      nsp.to(scoringRooms.public(exerciseId)).emit('board:delta', {
        exerciseId,
        seq: delta.seq,
        status: delta.status,
        frozen: delta.frozen,
        rows: delta.board.public,
        objectives: delta.objectives.public,
      });
    if (delta.teamId !== null && projection)
      nsp.to(scoringRooms.team(exerciseId, delta.teamId)).emit('team:update', {
        exerciseId,
        teamId: delta.teamId,
        seq: delta.seq,
        event: forTeam(event),
        unlocked: delta.unlocked,
        row: projection.row(delta.teamId, 'live'),
      });
    nsp.to(scoringRooms.instructors(exerciseId)).emit('instructor:update', {
      exerciseId,
      seq: delta.seq,
      event,
      rows: delta.board.live,
      objectives: delta.objectives.live,
      sharing: delta.sharing,
      status: delta.status,
      frozen: delta.frozen,
    });
  });
  return Object.assign(detach, {
    endSessions: (sessionIds: readonly string[]) => {
      const ended = new Set(sessionIds);
      for (const socket of nsp.sockets.values()) {
        const id = sessionOf.get(socket);
        if (id !== undefined && ended.has(id)) socket.disconnect(true);
      }
    },
  });
}

/** What a principal may see of an exercise now. */
export function snapshotFor(principal: Principal, projection: ScoreboardProjection): BoardSnapshotMessage {
  const exerciseId = projection.exercise.exerciseId;
  const base: BoardSnapshotMessage = {
    exerciseId,
    seq: projection.lastSeq,
    status: projection.status,
    frozen: projection.frozen !== null,
    version: projection.version('public'),
    board: projection.board('public'),
    objectives: projection.objectiveStats('public'),
  };
  if (principal.kind === 'participant')
    return {
      ...base,
      team: {
        teamId: principal.teamId,
        objectives: projection.visibleObjectives(principal.teamId),
        timeline: projection.timeline(principal.teamId, 'team'),
        attempts: projection.attempts(principal.teamId),
      },
    };
  return {
    ...base,
    instructor: {
      liveVersion: projection.version('live'),
      board: projection.board('live'),
      objectives: projection.objectiveStats('live'),
      sharing: projection.sharingReports(),
    },
  };
}

/** The team's own view of its event: another team's flag is a plain wrong answer to them. */
export function forTeam(event: ScoringEvent): ScoringEvent {
  if (event.type !== 'submission' || event.outcome !== 'other-team') return event;
  const copy = { ...event, outcome: 'wrong' as const, reason: 'no-match' as const };
  delete copy.ownerTeamIds;
  return copy;
}

function errorMessage(error: unknown): { code: string; message: string } {
  if (isCyropError(error)) return { code: error.code, message: error.message };
  const code = (error as { code?: unknown }).code;
  return {
    code: typeof code === 'string' ? code : 'INTERNAL',
    message: typeof code === 'string' ? (error as Error).message : 'internal error',
  };
}

/** The exercise id of a client's request, which may be anything. */
function exerciseIdOf(request: unknown): string | undefined {
  if (typeof request !== 'object' || request === null) return undefined;
  const id = (request as { exerciseId?: unknown }).exerciseId;
  return typeof id === 'string' ? id : undefined;
}
