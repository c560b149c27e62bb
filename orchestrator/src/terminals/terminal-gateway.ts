import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Namespace, Server, Socket } from 'socket.io';
import { STAFF_ROLES, type Principal } from '../api/api-registry.ts';
import type { SocketSession } from '../api/auth/socket-authenticator.ts';
import { CyropError, isCyropError } from '../errors.ts';
import type { ExerciseService } from '../exercises/exercise-service.ts';
import type { RuntimeDriver } from '../runtime/runtime-driver.ts';
import { AsciicastRecorder, DEFAULT_RECORDING_MAX_BYTES } from './asciicast-recorder.ts';
import {
  DEFAULT_CONNECTION_LIMITS,
  DEFAULT_EXERCISE_LIMITS,
  RateBudget,
  dropConnection,
  engineOf,
  packetSize,
  transportBacklog,
  type ConnectionLimits,
  type RateLimits,
} from './connection-limits.ts';
import type { RecordingStore } from './recording-store.ts';
import {
  TERMINAL_LIMITS,
  TERMINAL_NAMESPACE,
  type Attached,
  type OpenRequest,
  type Reply,
  type TerminalClientToServer,
  type TerminalError,
  type TerminalInfo,
  type TerminalServerToClient,
} from '../../../contract/terminal-events.ts';
import { DEFAULT_FLOW, TerminalSession, type FlowLimits, type TerminalPeer } from './terminal-session.ts';

export interface TerminalSocketData {
  session?: SocketSession;
  /** When the session was last confirmed live (epoch ms). */
  checkedAt?: number;
}

type TerminalSocket = Socket<
  TerminalClientToServer,
  TerminalServerToClient,
  Record<string, never>,
  TerminalSocketData
>;
type TerminalNamespace = Namespace<
  TerminalClientToServer,
  TerminalServerToClient,
  Record<string, never>,
  TerminalSocketData
>;

export interface TerminalGatewayDeps {
  driver: Pick<RuntimeDriver, 'openShell'>;
  exercises: Pick<ExerciseService, 'get' | 'plan'>;
  /** The handshake's session (the same authenticator as every socket namespace); undefined refuses it. */
  authenticate: (socket: Pick<Socket, 'handshake'>) => Promise<SocketSession | undefined>;
  /** The principal of a session token now, or undefined when it is over; `touch` counts as activity. */
  validateSession: (token: string, touch: boolean) => Promise<Principal | undefined>;
  /** Whether a staff user may watch an exercise (its organisation's staff, operators). */
  canWatch: (principal: Principal, exerciseId: string) => boolean | Promise<boolean>;
  recordings: RecordingStore;
  /** How long a shell outlives its owner's connection (ms). */
  graceMs: number;
  recordingMaxBytes?: number;
  /** How often every session with a live shell or socket is re-validated (ms; 30 s). */
  sessionCheckMs?: number;
  /**
   * Live shells one principal may hold at once (16): a user, or a participant — the same person
   * (signed-in user, else display name) in the same team, across re-joins and sessions.
   */
  maxShellsPerOwner?: number;
  /** Live shells of one team at once, whoever opened them (4 × maxShellsPerOwner). */
  maxShellsPerTeam?: number;
  /** Live shells of one exercise at once, staff's included (512). */
  maxShellsPerExercise?: number;
  flow?: Partial<FlowLimits>;
  /** Messages and bytes per second per participant, and how long a socket may leave its transport full. */
  limits?: Partial<ConnectionLimits>;
  /** Messages and bytes per second that all the participants of one exercise may send together. */
  exerciseLimits?: Partial<RateLimits>;
  logger?: Logger;
  clock?: () => number;
}

export interface TerminalGateway {
  /** End the shells of an exercise (or one team, or one host of it), telling their peers why. */
  endShells(where: { exercise: string; team?: string; host?: string }, reason: string): Promise<void>;
  /** End every shell opened by these sessions and disconnect their sockets (sign-out, expiry). */
  endSessions(sessionIds: readonly string[], reason: string): Promise<void>;
  /** The live shells (all, or of one exercise). */
  list(exerciseId?: string): TerminalInfo[];
  /** Kill every shell, finish every recording, stop the timers. */
  close(): Promise<void>;
}

const STAFF = new Set<string>(STAFF_ROLES);
const TOUCH_EVERY_MS = 60_000;

/**
 * The terminal gateway on the `/terminal` namespace (see contract/terminal-events.ts for the protocol).
 * Handshakes are authorised like every socket (session cookie + Origin). A participant opens shells
 * only on console hosts of its own team of a running exercise; staff who may watch an exercise open
 * shells on any of its teams' console hosts, and watch or list its live terminals. A shell is resumed
 * only by the principal that opened it, outlives a dropped connection for `graceMs`, and ends with
 * `close`, its session (sign-out, expiry), a teardown or a reset. Every shell is recorded.
 */
export function attachTerminalGateway(io: Server, deps: TerminalGatewayDeps): TerminalGateway {
  const nsp = io.of(TERMINAL_NAMESPACE) as unknown as TerminalNamespace;
  const clock = deps.clock ?? Date.now;
  const sessions = new Map<string, TerminalSession>();
  /** Whom each shell counts against (quota key, team key). */
  const quota = new WeakMap<TerminalSession, string>();
  const team = new WeakMap<TerminalSession, string>();
  /** Shells being opened per owner key (counted against the limit before they exist). */
  const opening = new Map<string, number>();
  /** Tokens of the sessions that own shells, to re-validate them. */
  const tokens = new Map<string, string>();
  const finishing = new Set<Promise<void>>();
  const maxShells = deps.maxShellsPerOwner ?? 16;
  const maxTeamShells = deps.maxShellsPerTeam ?? 4 * maxShells;
  const maxExerciseShells = deps.maxShellsPerExercise ?? 512;
  const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, ...deps.limits };
  const exerciseLimits: RateLimits = { ...DEFAULT_EXERCISE_LIMITS, ...deps.exerciseLimits };
  const transportLow = deps.flow?.transportLow ?? DEFAULT_FLOW.transportLow;
  /** The message budget of each participant, shared by its sockets, forgotten with its last socket. */
  const budgets = new Map<string, { budget: RateBudget; sockets: number }>();
  /** The budget of each exercise, shared by its participants' sockets, forgotten with the last of them. */
  const exerciseBudgets = new Map<string, { budget: RateBudget; sockets: number }>();
  let closed = false;

  const refuse = (code: string, message: string): TerminalError => ({ code, message });
  const errorOf = (error: unknown): TerminalError => {
    if (isCyropError(error)) return refuse(error.code, error.message);
    deps.logger?.error({ err: error }, 'terminal request failed');
    return refuse('INTERNAL', 'internal error');
  };

  const peerOf = (socket: TerminalSocket): TerminalPeer => ({
    id: socket.id,
    emit: (event, ...args) => {
      (socket.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args);
    },
    backlog: () => (socket.connected ? transportBacklog(socket) : 0),
  });

  /** The identity that may resume a shell: the user, or the participant's own session. */
  const ownerKeyOf = (s: SocketSession): string => {
    const p = s.principal;
    if (p.kind === 'user') return `user:${p.userId}`;
    return p.userId
      ? `participant:${p.exerciseId}/${p.teamId}/user:${p.userId}`
      : `participant-session:${s.sessionId}`;
  };
  /**
   * The person a shell counts against: a user, or a participant by signed-in user or display name within
   * its team (re-joining with the same code and name is the same person; a new session is not a new quota).
   */
  const quotaKeyOf = (p: Principal): string =>
    p.kind === 'user'
      ? `user:${p.userId}`
      : `participant:${p.exerciseId}/${p.teamId}/${p.userId ? `user:${p.userId}` : `name:${p.name}`}`;
  const teamKeyOf = (p: Principal): string | undefined =>
    p.kind === 'participant' ? `team:${p.exerciseId}/${p.teamId}` : undefined;
  const principalLabel = (p: Principal): string =>
    p.kind === 'user' ? `user:${p.userId}` : `participant:${p.exerciseId}/${p.teamId}/${p.name}`;

  const isStaff = (p: Principal): p is Extract<Principal, { kind: 'user' }> =>
    p.kind === 'user' && STAFF.has(p.role);
  const mayWatch = async (p: Principal, exerciseId: string): Promise<boolean> =>
    isStaff(p) && (await deps.canWatch(p, exerciseId));

  /** The session of a socket, confirmed live now (counted as activity). */
  const liveSession = async (socket: TerminalSocket): Promise<SocketSession> => {
    const s = socket.data.session;
    if (!s) throw new CyropError('UNAUTHENTICATED', 'sign in first');
    const principal = await deps.validateSession(s.token, true);
    if (!principal) {
      void endSessions([s.sessionId], 'session-expired');
      throw new CyropError('UNAUTHENTICATED', 'your session is over: sign in again');
    }
    socket.data.checkedAt = clock();
    return s;
  };

  // ── authorisation of a new shell ───────────────────────────────────────────────────────────

  const consoleOf = async (s: SocketSession, request: OpenRequest) => {
    const p = s.principal;
    let exerciseId: string;
    let teamId: string;
    if (p.kind === 'participant') {
      if (
        (request.exerciseId !== undefined && request.exerciseId !== p.exerciseId) ||
        (request.teamId !== undefined && request.teamId !== p.teamId)
      )
        throw new CyropError('FORBIDDEN', 'a team opens only its own hosts');
      exerciseId = p.exerciseId;
      teamId = p.teamId;
    } else {
      if (!request.exerciseId || !request.teamId)
        throw new CyropError('BAD_REQUEST', 'name the exercise and the team');
      if (!(await mayWatch(p, request.exerciseId)))
        throw new CyropError('NOT_FOUND', `no exercise '${request.exerciseId}'`);
      exerciseId = request.exerciseId;
      teamId = request.teamId;
    }
    const exercise = await deps.exercises.get(exerciseId);
    if (exercise.state !== 'running')
      throw new CyropError('CONFLICT', `the exercise is ${exercise.state}, not running`);
    // past its end and waiting for the janitor's teardown: no new shell on hosts about to go
    if (exercise.expiresAt !== null && exercise.expiresAt <= clock())
      throw new CyropError('CONFLICT', `the exercise ended at ${new Date(exercise.expiresAt).toISOString()}`);
    const team = exercise.teams.find((t) => t.id === teamId);
    if (!team) throw new CyropError('NOT_FOUND', `no team '${teamId}'`);
    // 'provisioning' is also a periodic reconcile of a running team: the engine answers for the host then
    if (team.state === 'resetting' || team.state === 'destroyed' || team.state === 'pending')
      throw new CyropError('CONFLICT', `the team's environment is ${team.state}`);
    const plan = await deps.exercises.plan(exerciseId, teamId);
    const host = plan.hosts.find((h) => h.name === request.host);
    if (!host) throw new CyropError('NOT_FOUND', `no host '${request.host}'`);
    if (!host.console) throw new CyropError('FORBIDDEN', `host '${host.name}' has no console`);
    return { exerciseId, teamId, host: host.name, console: host.console, recordInput: exercise.recordInput };
  };

  // ── opening, resuming, watching ────────────────────────────────────────────────────────────

  const attachOwner = (
    session: TerminalSession,
    socket: TerminalSocket,
    size: { cols: number; rows: number },
    resumed: boolean,
  ): Promise<Reply<Attached>> =>
    new Promise((resolve) => {
      let answered = false;
      session.attachOwner(peerOf(socket), size, (snapshot) => {
        answered = true;
        resolve({
          ok: true,
          terminal: session.info,
          role: 'owner',
          snapshot,
          recordsInput: session.recordsInput,
          resumed,
        });
      });
      void session.done.then(() => {
        if (!answered) resolve({ ok: false, error: refuse('ENDED', 'the shell has ended') });
      });
    });

  const open = async (socket: TerminalSocket, request: OpenRequest): Promise<Reply<Attached>> => {
    const s = await liveSession(socket);
    const size = { cols: request.cols, rows: request.rows };
    if (request.terminalId !== undefined) {
      const session = sessions.get(request.terminalId);
      // another principal's shell answers like a shell that does not exist
      if (!session || session.isEnded || session.ownerKey !== ownerKeyOf(s))
        return { ok: false, error: refuse('NOT_FOUND', 'no such terminal (it may have ended)') };
      tokens.set(session.sessionId, s.token);
      return attachOwner(session, socket, size, true);
    }
    const key = ownerKeyOf(s);
    const quotaKey = quotaKeyOf(s.principal);
    const teamKey = teamKeyOf(s.principal);
    const held = (k: string, of: (t: TerminalSession) => string | undefined) =>
      [...sessions.values()].filter((t) => !t.isEnded && of(t) === k).length + (opening.get(k) ?? 0);
    if (held(quotaKey, (t) => quota.get(t)) >= maxShells)
      return { ok: false, error: refuse('TOO_MANY', `at most ${maxShells} terminals at once: close one`) };
    if (teamKey && held(teamKey, (t) => team.get(t)) >= maxTeamShells)
      return {
        ok: false,
        error: refuse('TOO_MANY', `a team has at most ${maxTeamShells} terminals at once: close one`),
      };
    const counted = teamKey ? [quotaKey, teamKey] : [quotaKey];
    for (const k of counted) opening.set(k, (opening.get(k) ?? 0) + 1);
    try {
      const target = await consoleOf(s, request);
      const exerciseKey = `exercise:${target.exerciseId}`;
      if (held(exerciseKey, (t) => `exercise:${t.exerciseId}`) >= maxExerciseShells)
        return {
          ok: false,
          error: refuse(
            'TOO_MANY',
            `an exercise has at most ${maxExerciseShells} terminals at once: close one`,
          ),
        };
      opening.set(exerciseKey, (opening.get(exerciseKey) ?? 0) + 1);
      counted.push(exerciseKey);
      const shell = await deps.driver.openShell(
        { exercise: target.exerciseId, team: target.teamId, host: target.host },
        {
          user: target.console.user,
          shell: target.console.shell,
          workdir: target.console.workdir,
          cols: size.cols,
          rows: size.rows,
          env: { LANG: 'C.UTF-8', TERM: 'xterm-256color' },
        },
      );
      if (!socket.connected || closed) {
        await shell.kill().catch(() => undefined);
        return { ok: false, error: refuse('ENDED', 'the connection closed while the shell opened') };
      }
      const terminalId = randomUUID();
      const recordingId = randomUUID();
      let session: TerminalSession;
      try {
        const startedAt = clock();
        const openedBy = s.principal.name;
        const recorder = new AsciicastRecorder({
          file: deps.recordings.fileOf(target.exerciseId, recordingId),
          header: {
            width: size.cols,
            height: size.rows,
            timestamp: Math.floor(startedAt / 1000),
            title: `${openedBy} @ ${target.teamId}/${target.host}`,
            shell: target.console.shell,
          },
          maxBytes: deps.recordingMaxBytes ?? DEFAULT_RECORDING_MAX_BYTES,
          recordInput: target.recordInput,
          clock,
          onError: (err) => deps.logger?.warn({ err, recordingId }, 'terminal recording failed'),
        });
        await deps.recordings.start({
          recordingId,
          terminalId,
          exerciseId: target.exerciseId,
          teamId: target.teamId,
          host: target.host,
          openedBy,
          principal: principalLabel(s.principal),
          startedAt,
          includesInput: target.recordInput,
        });
        session = new TerminalSession({
          terminalId,
          exerciseId: target.exerciseId,
          teamId: target.teamId,
          host: target.host,
          openedBy,
          ownerKey: key,
          sessionId: s.sessionId,
          shell,
          cols: size.cols,
          rows: size.rows,
          recorder,
          recordsInput: target.recordInput,
          graceMs: deps.graceMs,
          ...(deps.flow ? { flow: deps.flow } : {}),
          clock,
          onEnded: (ended, exit) => {
            sessions.delete(ended.terminalId);
            if (![...sessions.values()].some((t) => t.sessionId === ended.sessionId))
              tokens.delete(ended.sessionId);
            deps.logger?.info(
              { terminal: terminalId, exercise: ended.exerciseId, team: ended.teamId, reason: exit.reason },
              'terminal ended',
            );
            const done = recorder
              .close()
              .then((result) => deps.recordings.finish(recordingId, { endedAt: clock(), ...result }))
              .catch((err: unknown) =>
                deps.logger?.warn({ err, recordingId }, 'finishing a recording failed'),
              )
              .finally(() => finishing.delete(done));
            finishing.add(done);
          },
        });
      } catch (error) {
        await shell.kill().catch(() => undefined); // never a shell without its session
        throw error;
      }
      sessions.set(terminalId, session);
      quota.set(session, quotaKey);
      if (teamKey) team.set(session, teamKey);
      tokens.set(s.sessionId, s.token);
      deps.logger?.info(
        { terminal: terminalId, exercise: target.exerciseId, team: target.teamId, host: target.host },
        'terminal opened',
      );
      const reply = attachOwner(session, socket, size, false);
      session.start();
      return await reply;
    } finally {
      for (const k of counted) {
        const left = (opening.get(k) ?? 1) - 1;
        if (left > 0) opening.set(k, left);
        else opening.delete(k);
      }
    }
  };

  const watch = async (socket: TerminalSocket, terminalId: string): Promise<Reply<Attached>> => {
    const s = await liveSession(socket);
    if (!isStaff(s.principal)) throw new CyropError('FORBIDDEN', 'only staff watch terminals');
    const session = sessions.get(terminalId);
    if (!session || session.isEnded || !(await mayWatch(s.principal, session.exerciseId)))
      return { ok: false, error: refuse('NOT_FOUND', 'no such terminal') };
    if (session.isOwner(socket.id))
      return { ok: false, error: refuse('CONFLICT', 'you are the owner of this terminal') };
    return new Promise((resolve) => {
      let answered = false;
      session.addViewer(peerOf(socket), (snapshot) => {
        answered = true;
        resolve({
          ok: true,
          terminal: session.info,
          role: 'viewer',
          snapshot,
          recordsInput: session.recordsInput,
          resumed: false,
        });
      });
      void session.done.then(() => {
        if (!answered) resolve({ ok: false, error: refuse('ENDED', 'the shell has ended') });
      });
    });
  };

  // ── ending shells ──────────────────────────────────────────────────────────────────────────

  const endWhere = async (match: (t: TerminalSession) => boolean, reason: string): Promise<void> => {
    await Promise.all([...sessions.values()].filter(match).map((t) => t.kill(reason)));
  };

  const endSessions = async (sessionIds: readonly string[], reason: string): Promise<void> => {
    const ids = new Set(sessionIds);
    for (const id of ids) tokens.delete(id);
    await endWhere((t) => ids.has(t.sessionId), reason);
    for (const socket of nsp.sockets.values())
      if (socket.data.session && ids.has(socket.data.session.sessionId)) socket.disconnect(true);
  };

  /** Every session with a live socket or shell, re-validated without counting as activity. */
  const checkSessions = async (): Promise<void> => {
    const known = new Map(tokens);
    for (const socket of nsp.sockets.values())
      if (socket.data.session) known.set(socket.data.session.sessionId, socket.data.session.token);
    const over: string[] = [];
    for (const [id, token] of known) if (!(await deps.validateSession(token, false))) over.push(id);
    if (over.length) await endSessions(over, 'session-expired');
  };
  let checking: Promise<void> = Promise.resolve();
  const checkTimer = setInterval(() => {
    checking = checking
      .then(checkSessions)
      .catch((err: unknown) => deps.logger?.warn({ err }, 'terminal session check failed'));
  }, deps.sessionCheckMs ?? 30_000);
  checkTimer.unref();

  // ── the namespace ──────────────────────────────────────────────────────────────────────────

  nsp.use((socket, next) => {
    deps.authenticate(socket).then(
      (session) => {
        if (!session || closed) {
          next(new Error('UNAUTHENTICATED'));
          return;
        }
        socket.data.session = session;
        socket.data.checkedAt = clock();
        next();
      },
      () => {
        next(new Error('UNAUTHENTICATED'));
      },
    );
  });

  nsp.on('connection', (socket) => {
    const s0 = socket.data.session;
    const budgetKey = s0 ? quotaKeyOf(s0.principal) : `socket:${socket.id}`;
    const share = (
      all: Map<string, { budget: RateBudget; sockets: number }>,
      key: string,
      of: RateLimits,
    ): { budget: RateBudget; sockets: number } => {
      let entry = all.get(key);
      if (!entry) all.set(key, (entry = { budget: new RateBudget(of, clock), sockets: 0 }));
      entry.sockets++;
      return entry;
    };
    const release = (all: Map<string, { budget: RateBudget; sockets: number }>, key: string): void => {
      const entry = all.get(key);
      if (entry && --entry.sockets === 0) all.delete(key);
    };
    const budget = share(budgets, budgetKey, limits).budget;
    // a participant also draws on its exercise's budget (staff sockets span exercises: their own only)
    const exerciseKey = s0?.principal.kind === 'participant' ? s0.principal.exerciseId : undefined;
    const exerciseBudget = exerciseKey
      ? share(exerciseBudgets, exerciseKey, exerciseLimits).budget
      : undefined;
    // Over its budget, a participant's connection is not read until the budget is back: its client
    // waits (real back-pressure), nothing is parsed or buffered here for it.
    let resumeAt = 0;
    let resumeTimer: NodeJS.Timeout | undefined;
    const onPacket = (packet: { type: string; data?: unknown }) => {
      if (packet.type !== 'message') return;
      const bytes = packetSize(packet.data);
      const wait = Math.max(budget.charge(bytes), exerciseBudget?.charge(bytes) ?? 0);
      if (wait <= 0 || clock() + wait <= resumeAt) return;
      const ws = engineOf(socket).transport?.socket;
      if (!ws?.pause || !ws.resume) return;
      ws.pause();
      resumeAt = clock() + wait;
      if (resumeTimer) clearTimeout(resumeTimer);
      resumeTimer = setTimeout(() => {
        resumeTimer = undefined;
        ws.resume?.();
      }, wait);
      resumeTimer.unref();
    };
    engineOf(socket).on('packet', onPacket);
    // A client that leaves its transport full (it does not read, whatever it acknowledges) is dropped:
    // above the low mark, its backlog must shrink within drainTimeoutMs (its shells' output is paused
    // meanwhile, so what it holds is bounded).
    let stuckSince: number | undefined;
    let lowest = Infinity;
    const watchdog = setInterval(
      () => {
        const backlog = transportBacklog(socket);
        if (backlog < transportLow) stuckSince = undefined;
        else if (stuckSince === undefined || backlog < lowest) {
          stuckSince = clock();
          lowest = backlog;
        } else if (clock() - stuckSince >= limits.drainTimeoutMs) {
          deps.logger?.warn(
            { socket: socket.id, backlog },
            'terminal client does not read its output: dropped',
          );
          dropConnection(socket);
        }
      },
      Math.max(50, Math.min(1000, limits.drainTimeoutMs / 4)),
    );
    watchdog.unref();
    const answer = <T>(reply: unknown, work: () => Promise<Reply<T>>): void => {
      const send = typeof reply === 'function' ? (reply as (r: Reply<T>) => void) : () => undefined;
      work().then(send, (error: unknown) => {
        send({ ok: false, error: errorOf(error) });
      });
    };
    /** Input keeps a session alive (at most one write a minute); a session found over ends its shells. */
    const touch = () => {
      const s = socket.data.session;
      if (!s || clock() - (socket.data.checkedAt ?? 0) < TOUCH_EVERY_MS) return;
      socket.data.checkedAt = clock();
      deps.validateSession(s.token, true).then(
        (principal) => {
          if (!principal) void endSessions([s.sessionId], 'session-expired');
        },
        () => undefined,
      );
    };

    socket.on('open', (request, reply) => {
      answer(reply, async () => {
        const bad = checkOpen(request);
        if (bad) return { ok: false, error: bad };
        return open(socket, request);
      });
    });

    socket.on('watch', (request, reply) => {
      answer(reply, async () => {
        const terminalId = stringField(request, 'terminalId');
        if (!terminalId) return { ok: false, error: refuse('BAD_REQUEST', 'name the terminal') };
        return watch(socket, terminalId);
      });
    });

    socket.on('list', (request, reply) => {
      answer<{ terminals: TerminalInfo[] }>(reply, async () => {
        const exerciseId = stringField(request, 'exerciseId');
        if (!exerciseId) return { ok: false, error: refuse('BAD_REQUEST', 'name the exercise') };
        const s = await liveSession(socket);
        if (!isStaff(s.principal)) throw new CyropError('FORBIDDEN', 'only staff list terminals');
        if (!(await mayWatch(s.principal, exerciseId)))
          throw new CyropError('NOT_FOUND', `no exercise '${exerciseId}'`);
        return { ok: true, terminals: list(exerciseId) };
      });
    });

    socket.on('input', (request) => {
      const terminalId = stringField(request, 'terminalId');
      const data = (request as { data?: unknown } | null)?.data;
      if (!terminalId || typeof data !== 'string') return;
      const session = sessions.get(terminalId);
      if (!session) {
        socket.emit('terminal:error', terminalId, refuse('NOT_FOUND', 'no such terminal'));
        return;
      }
      const refusal = session.input(socket.id, data);
      if (refusal === 'INPUT_BACKLOG')
        socket.emit(
          'terminal:error',
          terminalId,
          refuse(
            refusal,
            'the program in this terminal is not reading its input: input is dropped until it does (Ctrl-C stops it)',
          ),
        );
      else if (refusal === 'PASTE_TOO_LARGE')
        socket.emit(
          'terminal:error',
          terminalId,
          refuse(refusal, `input is at most ${TERMINAL_LIMITS.maxInputBytes} bytes: paste in parts`),
        );
      else if (refusal === 'NOT_OWNER')
        socket.emit('terminal:error', terminalId, refuse(refusal, 'only the owner types into a terminal'));
      else if (refusal === undefined || refusal === 'INPUT_DROPPED') touch();
    });

    socket.on('resize', (request) => {
      const terminalId = stringField(request, 'terminalId');
      if (!terminalId) return;
      const session = sessions.get(terminalId);
      if (!session) return;
      const { cols, rows } = (request as { cols?: unknown; rows?: unknown } | null) ?? {};
      if (!validSize(cols, rows)) {
        socket.emit('terminal:error', terminalId, refuse('BAD_SIZE', sizeRule));
        return;
      }
      if (!session.resize(socket.id, cols, rows as number))
        socket.emit('terminal:error', terminalId, refuse('NOT_OWNER', 'only the owner resizes a terminal'));
    });

    socket.on('ack', (request) => {
      const terminalId = stringField(request, 'terminalId');
      const bytes = (request as { bytes?: unknown } | null)?.bytes;
      if (!terminalId || typeof bytes !== 'number') return;
      sessions.get(terminalId)?.ack(socket.id, bytes);
    });

    socket.on('close', (request, reply) => {
      answer<object>(reply, async () => {
        const terminalId = stringField(request, 'terminalId');
        const session = terminalId ? sessions.get(terminalId) : undefined;
        if (!session) return { ok: false, error: refuse('NOT_FOUND', 'no such terminal') };
        if (session.removeViewer(socket.id)) return { ok: true };
        if (!session.isOwner(socket.id))
          return { ok: false, error: refuse('NOT_OWNER', 'only the owner ends a terminal') };
        await session.kill('closed');
        return { ok: true };
      });
    });

    socket.on('disconnect', () => {
      clearInterval(watchdog);
      if (resumeTimer) clearTimeout(resumeTimer);
      engineOf(socket).off('packet', onPacket);
      release(budgets, budgetKey);
      if (exerciseKey) release(exerciseBudgets, exerciseKey);
      for (const session of sessions.values()) {
        session.removeViewer(socket.id);
        session.detachOwner(socket.id);
      }
    });
  });

  const list = (exerciseId?: string): TerminalInfo[] =>
    [...sessions.values()]
      .filter((t) => !t.isEnded && (exerciseId === undefined || t.exerciseId === exerciseId))
      .map((t) => t.info)
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.terminalId.localeCompare(b.terminalId));

  return {
    endShells: (where, reason) =>
      endWhere(
        (t) =>
          t.exerciseId === where.exercise &&
          (where.team === undefined || t.teamId === where.team) &&
          (where.host === undefined || t.host === where.host),
        reason,
      ),
    endSessions,
    list,
    close: async () => {
      closed = true;
      clearInterval(checkTimer);
      await checking;
      await endWhere(() => true, 'server-shutdown');
      await Promise.all([...finishing]);
    },
  };
}

const sizeRule = `cols from ${TERMINAL_LIMITS.minCols} to ${TERMINAL_LIMITS.maxCols}, rows from ${TERMINAL_LIMITS.minRows} to ${TERMINAL_LIMITS.maxRows}`;

function validSize(cols: unknown, rows: unknown): cols is number {
  return (
    Number.isInteger(cols) &&
    Number.isInteger(rows) &&
    (cols as number) >= TERMINAL_LIMITS.minCols &&
    (cols as number) <= TERMINAL_LIMITS.maxCols &&
    (rows as number) >= TERMINAL_LIMITS.minRows &&
    (rows as number) <= TERMINAL_LIMITS.maxRows
  );
}

/** What is wrong with an `open` request from a client, which may send anything. */
function checkOpen(request: unknown): TerminalError | undefined {
  if (typeof request !== 'object' || request === null)
    return { code: 'BAD_REQUEST', message: 'send { host, cols, rows }' };
  const r = request as Record<string, unknown>;
  for (const key of ['terminalId', 'exerciseId', 'teamId'])
    if (r[key] !== undefined && (typeof r[key] !== 'string' || r[key] === '' || r[key].length > 128))
      return { code: 'BAD_REQUEST', message: `${key} must be a non-empty string` };
  if (typeof r.host !== 'string' || !/^[a-z][a-z0-9-]{0,62}$/.test(r.host))
    return { code: 'BAD_REQUEST', message: 'name the host' };
  if (!validSize(r.cols, r.rows)) return { code: 'BAD_SIZE', message: sizeRule };
  return undefined;
}

function stringField(request: unknown, key: string): string | undefined {
  if (typeof request !== 'object' || request === null) return undefined;
  const value = (request as Record<string, unknown>)[key];
  return typeof value === 'string' && value.length > 0 && value.length <= 128 ? value : undefined;
}
