import { CyropError } from './errors.ts';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { pino, type Logger } from 'pino';
import { createApp } from './api/create-app.ts';
import { platformRoutes } from './api/platform-routes.ts';
import type { WebRouteDeps } from './web-services/web-routes.ts';
import type { HelpRouteDeps } from './help-requests/help-routes.ts';
import { competencyCatalogues } from './scenarios/competency-catalogues.ts';
import type { ScenarioLimits } from './compiler/check-scenario.ts';
import type { Config } from './config/load-config.ts';
import { ExerciseService } from './exercises/exercise-service.ts';
import { selectDriver } from './runtime/select-driver.ts';
import type { RuntimeDriver } from './runtime/runtime-driver.ts';
import { openDatabase, type Db, type OpenedDatabase } from './store/database.ts';
import { Server as SocketServer } from 'socket.io';
import { AccountService } from './accounts/account-service.ts';
import type { Principal } from './api/api-registry.ts';
import { PublicOrigins } from './api/auth/public-origins.ts';
import { sessionAuthenticator } from './api/auth/session-authenticator.ts';
import { socketAuthenticator } from './api/auth/socket-authenticator.ts';
import { RecordingStore } from './terminals/recording-store.ts';
import { attachTerminalGateway, type TerminalGateway } from './terminals/terminal-gateway.ts';
import { WebGrants } from './web-services/web-grants.ts';
import { createWebProxy } from './web-services/web-proxy.ts';
import { TERMINAL_LIMITS } from '../../contract/terminal-events.ts';
import {
  DEFAULT_CONNECTION_LIMITS,
  DEFAULT_EXERCISE_LIMITS,
  withByteRate,
} from './terminals/connection-limits.ts';
import { readFileSync } from 'node:fs';
import { REPO_ROOT } from './config/load-config.ts';
import { BillingService } from './billing/billing-service.ts';
import { AnalyticsService } from './analytics/analytics-service.ts';
import { InvitationService } from './accounts/invitation-service.ts';
import { RosterService } from './accounts/roster-service.ts';
import { BroadcastBoard } from './exercises/broadcast-board.ts';
import { forTeam as helpForTeam, HelpRequestService } from './help-requests/help-request-service.ts';
import { plansFromExercises, ScoringService } from './scoring-service/scoring-service.ts';
import {
  attachScoringSocket,
  scoringRooms,
  type ScoringSocketHandle,
} from './scoring-service/scoring-socket.ts';
import { SCORING_NAMESPACE } from '../../contract/scoring-events.ts';
import { ScoringStore } from './scoring-service/scoring-store.ts';
import { ScenarioCatalogue } from './scenarios/scenario-catalogue.ts';
import { ScenarioCompiler } from './scenarios/scenario-compiler.ts';
import { PdfRenderer } from './documents/pdf-renderer.ts';
import { niceNamer, ScenarioGuides } from './scenarios/scenario-guide.ts';
import { NiceCatalogueStore } from './nice/nice-catalogue-store.ts';
import { ScenarioUploads } from './scenarios/scenario-uploads.ts';
import { ScenarioLibrary } from './scenarios/scenario-library.ts';
import { QuotaBook, type QuotaLimits } from './exercises/quotas.ts';
import { CourseService } from './courses/course-service.ts';
import { libraryScenarioSource } from './courses/library-scenario-source.ts';
import { JournalSalesLookup } from './courses/journal-sales-lookup.ts';
import { UsageMeter } from './courses/usage-meter.ts';
import path from 'node:path';

export interface RunningPlatform {
  url: string;
  /** The origin of the web service listener (web service tabs), when it runs. */
  webOrigin?: string;
  server: Server;
  logger: Logger;
  close(): Promise<void>;
}

/**
 * The composition root: the one place that wires adapters together and starts the platform server —
 * store, accounts and sessions, the engine (`CYROP_ENGINE`) with exercises and reconcile, scoring with its
 * socket.io push, and the HTTP API.
 */
export async function startPlatform(
  config: Config,
  logger: Logger = pino({ level: config.logLevel }, pino.destination(2)),
  /** A driver built elsewhere (tests: the in-memory fake) instead of the configured engine's. */
  wiring: { driver?: RuntimeDriver } = {},
): Promise<RunningPlatform> {
  const startedAt = Date.now();
  const catalogues = await competencyCatalogues(config.dataDir);
  const uploadsDir = path.join(config.dataDir, 'scenarios');
  const catalogue = new ScenarioCatalogue(
    config.scenariosDir,
    catalogues.catalogueFor,
    uploadsDir,
    scenarioLimits(config),
  ).load();
  for (const bad of catalogue.invalid()) {
    logger.warn(
      { file: bad.file, problems: bad.diagnostics.length },
      'scenario in the catalogue is invalid and is not offered',
    );
  }
  // Uploaded scenarios (and exercises launched from them) compile in bounded worker threads.
  const compiler = new ScenarioCompiler({ dataDir: config.dataDir, scenarioLimits: scenarioLimits(config) });
  // Statements and transcripts are rendered as PDF in a bounded worker thread, never on the event loop.
  const pdf = new PdfRenderer();
  const orchestrator =
    config.engine === 'none' && !wiring.driver
      ? undefined
      : await openOrchestrator(config, logger, compiler, wiring.driver);
  const ownDatabase = orchestrator ? undefined : await openDatabase(config.dataDir);
  const db = orchestrator?.db ?? (ownDatabase as OpenedDatabase).db;
  const sqlite = orchestrator?.sqlite ?? (ownDatabase as OpenedDatabase).sqlite;

  const accounts = new AccountService({ db });
  const first = await accounts.ensureFirstOperator();
  if (first) {
    // Printed once, to the terminal only: never logged.
    process.stderr.write(
      `\nFirst start: sign in as ${first.email} with the one-time password ${first.password}\n(you will be asked to change it)\n\n`,
    );
  }
  const scenarios = await new ScenarioLibrary({
    db,
    catalogue,
    uploads: new ScenarioUploads(uploadsDir, compiler),
    audit: (actor, action, target, details, context) =>
      accounts.audit(actor, action, target, details, context),
  }).init();
  const invitations = new InvitationService({ db, accounts });
  const rosters = new RosterService({ db, accounts, invitations });
  const courses = new CourseService({
    db,
    scenarios: libraryScenarioSource(scenarios),
    ...(orchestrator ? { exercises: orchestrator.exercises } : {}),
    audit: (actor, action, target, details, context) =>
      accounts.audit(actor, action, target, details, context),
    onLaunchError: (exercise, err) => {
      logger.error({ exercise, err }, 'course run launch failed');
    },
  });
  // Sales recorded in billing's journal (course_run), so runs used without a sale are flagged.
  const usageMeter = new UsageMeter({ db, sales: new JournalSalesLookup(db, config.timeZone) });
  const origins = new PublicOrigins(config.publicOrigins, config.host, config.port);
  if (!config.publicOrigins && ['0.0.0.0', '::'].includes(config.host))
    logger.warn(
      { host: config.host },
      'listening on every address but CYROP_PUBLIC_ORIGINS is not set: only loopback origins are accepted',
    );
  const authenticate = sessionAuthenticator(accounts);
  const socketSessions = socketAuthenticator(accounts, origins);
  const recordings = orchestrator ? new RecordingStore(db, config.dataDir) : undefined;
  const canWatch = (principal: Principal, exerciseId: string) =>
    accounts.canWatchExercise(principal, exerciseId);
  const scoring = orchestrator
    ? new ScoringService({
        store: new ScoringStore(sqlite),
        plans: plansFromExercises(orchestrator.exercises),
        driver: orchestrator.driver,
        onError: (err, context) => {
          logger.error({ err, ...context }, 'scoring');
        },
      })
    : undefined;
  // On an engine that gives hosts their own addresses, answers naming them change at launch and on
  // resets: the scoring service rebuilds from its log with the plans as they are then.
  if (orchestrator && scoring)
    orchestrator.exercises.onAddressesBound((exercise) => scoring.unload(exercise));
  const broadcasts = new BroadcastBoard();
  const helpRequests = orchestrator
    ? new HelpRequestService({
        db,
        minIntervalMs: config.helpRequestIntervalMs,
        scope: async (exerciseId, teamId) => {
          const exercise = await orchestrator.exercises.get(exerciseId);
          const plan = await orchestrator.exercises.plan(exerciseId, teamId);
          return {
            state: exercise.state,
            hosts: plan.hosts.map((host) => host.name),
            objectives: plan.objectives.map((objective) => objective.id),
          };
        },
      })
    : undefined;
  // Web service tabs: a listener of its own (its own origin), when configured and the engine connects.
  const webGrants = new WebGrants();
  const webAccess = orchestrator ? { exercises: orchestrator.exercises, canWatch } : undefined;
  const webServer =
    orchestrator && webAccess && config.webPort !== undefined && orchestrator.driver.openTcp
      ? createWebProxy({
          grants: webGrants,
          driver: orchestrator.driver,
          access: webAccess,
          resolveSession: async (token) =>
            (await accounts.resolveSession(token, { touch: false }))?.principal,
          secureCookies: config.webOrigin?.startsWith('https:') ?? false,
          logger: logger.child({ module: 'web-services' }),
        })
      : undefined;
  let webOrigin = config.webOrigin ?? '';
  const reconciler = orchestrator
    ? startReconciler(orchestrator, config.reconcileIntervalMs, logger)
    : undefined;
  const app = createApp({
    scenarios,
    logger,
    authenticate,
    origins,
    trustProxy: config.trustProxy,
    metricsToken: config.metricsToken,
    routes: (api) => {
      platformRoutes(api, {
        account: { accounts },
        admin: {
          accounts,
          scenarios,
          probe: {
            version: platformVersion(),
            engine: orchestrator?.driver.engine ?? config.engine,
            startedAt,
            ...(orchestrator
              ? {
                  engineCheck: async () => {
                    await orchestrator.driver.list({ 'app.kubernetes.io/managed-by': 'cyrop' });
                  },
                }
              : {}),
          },
        },
        invitation: { accounts, invitations },
        course: { courses, usage: usageMeter, timeZone: config.timeZone },
        analytics: {
          analytics: new AnalyticsService({
            db,
            scenarios,
            nice: new NiceCatalogueStore(config.dataDir),
            timeZone: config.timeZone,
          }),
          canWatch,
          audit: (actor, action, target, details) => accounts.audit(actor, action, target, details),
          pdf,
        },
        billing: { billing: new BillingService({ sqlite, accounts, timeZone: config.timeZone }), pdf },
        ...(orchestrator
          ? {
              exercise: {
                exercises: orchestrator.exercises,
                accounts,
                rosters,
                scenarios,
                onLaunchError: (exercise: string, err: unknown) => {
                  logger.error({ exercise, err }, 'launch failed');
                },
                ...(scoring ? { startScoring: (exercise: string) => scoring.start(exercise) } : {}),
              },
              play: { exercises: orchestrator.exercises, accounts, broadcasts },
              roster: { rosters, canWatch },
              ...(webServer && webAccess
                ? {
                    web: {
                      access: webAccess,
                      grants: webGrants,
                      webOrigin: () => webOrigin,
                      audit: (principal, action, target, details) =>
                        accounts.audit(principal, action, target, details),
                    } satisfies WebRouteDeps,
                  }
                : {}),
            }
          : {}),
        scenarioGuide: {
          scenarios,
          guides: new ScenarioGuides((file) => compiler.compileFile(file), {
            niceNames: niceNamer(new NiceCatalogueStore(config.dataDir)),
          }),
          accounts,
          ...(orchestrator ? { exercises: orchestrator.exercises } : {}),
        },
        ...(helpRequests
          ? {
              help: {
                service: helpRequests,
                canWatch,
                audit: (actor, action, target, details) => accounts.audit(actor, action, target, details),
              } satisfies HelpRouteDeps,
            }
          : {}),
        quota: {
          quotas: orchestrator?.quotas ?? new QuotaBook(db, quotaDefaults(config)),
          accounts,
        },
        ...(scoring ? { scoring: { service: scoring, canWatch } } : {}),
        ...(recordings ? { terminal: { recordings, canWatch } } : {}),
      });
    },
    ready: async () => {
      await db.selectFrom('meta').select('value').executeTakeFirst();
      return { engine: config.engine };
    },
  });
  const server = createServer(app);
  const unhook: (() => void)[] = [];
  let detachScoring: ScoringSocketHandle | undefined;
  let stopBroadcasts: (() => void) | undefined;
  let io: SocketServer | undefined;
  if (scoring) {
    io = new SocketServer(server, {
      transports: ['websocket'],
      serveClient: false,
      // a terminal paste of maxInputBytes, JSON-escaped, fits with room; a larger one is refused politely
      maxHttpBufferSize: 16 * TERMINAL_LIMITS.maxInputBytes,
    });
    const scoringSockets = attachScoringSocket(io, scoring, socketSessions, canWatch);
    detachScoring = scoringSockets;
    // a browser that signed out (or whose session ended) stops receiving the board
    unhook.push(accounts.onSessionsEnded((ids) => scoringSockets.endSessions(ids)));
    const scoringNamespace = io.of(SCORING_NAMESPACE);
    stopBroadcasts = broadcasts.subscribe((b) => {
      // To one team: its members and the instructors only.
      if (b.teamId !== undefined)
        scoringNamespace
          .to([scoringRooms.team(b.exerciseId, b.teamId), scoringRooms.instructors(b.exerciseId)])
          .emit('broadcast', b);
      else scoringNamespace.to(scoringRooms.public(b.exerciseId)).emit('broadcast', b);
    });
    // A help request goes to the exercise's instructors, and to the team that asked (without the
    // instructors' names); never to another exercise's rooms.
    if (helpRequests)
      unhook.push(
        helpRequests.subscribe((request) => {
          scoringNamespace.to(scoringRooms.instructors(request.exerciseId)).emit('help:update', request);
          scoringNamespace
            .to(scoringRooms.team(request.exerciseId, request.teamId))
            .emit('help:update', helpForTeam(request));
        }),
      );
    // Launch, extend, teardown and expiry reach every page of the exercise at once (no polling).
    if (orchestrator) {
      const exercises = orchestrator.exercises;
      unhook.push(
        exercises.onExerciseChanged((exerciseId) => {
          exercises.get(exerciseId).then(
            (e) => {
              scoringNamespace.to(scoringRooms.public(exerciseId)).emit('exercise:state', {
                exerciseId,
                state: e.state,
                endsAt: e.expiresAt === null ? null : new Date(e.expiresAt).toISOString(),
              });
            },
            (err: unknown) => {
              logger.warn({ err, exercise: exerciseId }, 'exercise state push failed');
            },
          );
        }),
        // provisioning progress per team, to the instructors' pages (no polling of the engine)
        exercises.onTeamChanged((change) => {
          scoringNamespace.to(scoringRooms.instructors(change.exercise)).emit('exercise:team', {
            exerciseId: change.exercise,
            teamId: change.team,
            state: change.state,
            lastError: change.lastError,
            readyHosts: change.readyHosts,
          });
        }),
      );
    }
    scoring.startTimers(1000);
  }
  let terminals: TerminalGateway | undefined;
  if (io && orchestrator && recordings) {
    const gateway = attachTerminalGateway(io, {
      driver: orchestrator.driver,
      exercises: orchestrator.exercises,
      authenticate: socketSessions,
      validateSession: async (token, touch) => (await accounts.resolveSession(token, { touch }))?.principal,
      canWatch,
      recordings,
      graceMs: config.terminalGraceMs,
      recordingMaxBytes: config.recordingMaxBytes,
      maxShellsPerOwner: config.terminalsPerPrincipal,
      maxShellsPerTeam: config.terminalsPerTeam,
      maxShellsPerExercise: config.terminalsPerExercise,
      limits: withByteRate(config.terminalInputBytesPerSecond, DEFAULT_CONNECTION_LIMITS),
      exerciseLimits: withByteRate(config.exerciseTerminalInputBytesPerSecond, DEFAULT_EXERCISE_LIMITS),
      logger: logger.child({ module: 'terminals' }),
    });
    terminals = gateway;
    unhook.push(
      accounts.onSessionsEnded((ids) => void gateway.endSessions(ids, 'logout')),
      orchestrator.exercises.onEnvironmentEnding((e) => {
        const reason = e.reason === 'teardown' ? 'exercise-ended' : e.host ? 'host-reset' : 'team-reset';
        void gateway.endShells({ exercise: e.exercise, team: e.team, host: e.host }, reason);
      }),
    );
  }
  const pruner = setInterval(() => {
    accounts.pruneSessions().catch((err: unknown) => logger.warn({ err }, 'pruning sessions failed'));
  }, 10 * 60_000);
  pruner.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  origins.listening(port);
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}/`;
  /** Stops everything started above, in order (also when the start fails half-way). */
  const close = async (): Promise<void> => {
    clearInterval(pruner);
    if (webServer?.listening)
      await new Promise<void>((resolve) => {
        webServer.close(() => resolve());
        webServer.closeAllConnections();
      });
    for (const stop of unhook) stop();
    await terminals?.close();
    detachScoring?.();
    stopBroadcasts?.();
    await scoring?.stopTimers();
    await io?.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await reconciler?.stop();
    await orchestrator?.close();
    await compiler.close();
    await pdf.close();
    await ownDatabase?.close();
  };
  if (webServer) {
    const listenWeb = (port: number | undefined) =>
      new Promise<void>((resolve, reject) => {
        webServer.once('error', reject);
        webServer.listen(port, config.host, () => {
          webServer.off('error', reject);
          resolve();
        });
      });
    try {
      await listenWeb(config.webPort);
    } catch (error) {
      // The default port beside the console's is taken: with no origin configured for it, any port
      // will do (links are made per click); a port or an origin the operator set must be the one.
      const byDefault = config.webPort === config.port + 1 && config.webOrigin === undefined;
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !byDefault) {
        await close();
        throw new CyropError(
          'CONFIG_INVALID',
          `the web service listener cannot listen on ${config.host}:${String(config.webPort)} (CYROP_WEB_PORT): ${(error as Error).message}`,
          { cause: error },
        );
      }
      logger.warn(
        { port: config.webPort },
        'the web service port is taken: listening on a free one (set CYROP_WEB_PORT to choose it)',
      );
      await listenWeb(0);
    }
    const webPort = (webServer.address() as AddressInfo).port;
    webOrigin ||= `http://${['0.0.0.0', '::'].includes(config.host) ? '127.0.0.1' : host}:${webPort}`;
    logger.info({ webOrigin, port: webPort }, 'web services listening');
  }
  logger.info({ url, scenarios: catalogue.list().length, engine: config.engine }, 'platform listening');
  return {
    url,
    server,
    logger,
    ...(webServer ? { webOrigin } : {}),
    close,
  };
}

/** The version of this release (package.json). */
function platformVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}

/** Reconcile at start-up, then on a timer: after a crash, the engine converges to the store. */
function startReconciler(
  orchestrator: Orchestrator,
  intervalMs: number,
  logger: Logger,
): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = orchestrator.exercises.reconcile().then(
      (report) => {
        if (
          report.converged.length ||
          report.failed.length ||
          report.removedOrphans.length ||
          report.expired.length
        ) {
          logger.info(
            {
              converged: report.converged.length,
              failed: report.failed,
              removedOrphans: report.removedOrphans,
              expired: report.expired,
            },
            'reconciled',
          );
        }
      },
      (error: unknown) => {
        logger.error({ err: error }, 'reconcile failed');
      },
    );
  };
  tick();
  const timer = setInterval(() => {
    void running.then(tick);
  }, intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}

export interface Orchestrator {
  db: Db;
  sqlite: OpenedDatabase['sqlite'];
  driver: RuntimeDriver;
  exercises: ExerciseService;
  /** Per-organisation quotas and lifetimes (the exercise service enforces them). */
  quotas: QuotaBook;
  close(): Promise<void>;
}

/** The store, the configured engine's driver (runtime/select-driver.ts) and the exercise service, wired. */
export async function openOrchestrator(
  config: Config,
  logger?: Logger,
  compiler?: ScenarioCompiler,
  /** Instead of the configured engine's driver (tests). */
  driver?: RuntimeDriver,
): Promise<Orchestrator> {
  const database = await openDatabase(config.dataDir);
  // A compiler of its own (the CLI) is closed with the orchestrator; the server's is closed by the server.
  const ownCompiler = compiler
    ? undefined
    : new ScenarioCompiler({ dataDir: config.dataDir, scenarioLimits: scenarioLimits(config) });
  try {
    const engine = driver ?? (await selectDriver(config));
    const { catalogueFor } = await competencyCatalogues(config.dataDir);
    const quotas = new QuotaBook(database.db, quotaDefaults(config));
    // the exercise service writes its own audit entries, whoever asks (REST, CLI, the janitor)
    const auditLog = new AccountService({ db: database.db });
    const exercises = new ExerciseService({
      db: database.db,
      driver: engine,
      subnetPool: config.subnetPool,
      fixedSubnetPools: config.fixedSubnetPools,
      catalogueFor,
      compiler: compiler ?? ownCompiler,
      limits: scenarioLimits(config),
      diskLimits: config.diskLimits,
      quotas,
      concurrency: config.launchConcurrency,
      audit: (e) =>
        auditLog.audit(e.by.actor, e.action, e.target, e.details, { ip: e.by.ip, orgId: e.orgId }),
      ...(logger ? { logger } : {}),
    });
    return {
      db: database.db,
      sqlite: database.sqlite,
      driver: engine,
      exercises,
      quotas,
      close: async () => {
        // a driver passed in is its owner's to close
        if (!driver) await engine.close?.();
        await ownCompiler?.close();
        await database.close();
      },
    };
  } catch (error) {
    await ownCompiler?.close();
    await database.close();
    throw error;
  }
}

/** The platform default quotas and lifetimes of every organisation (configuration). */
export function quotaDefaults(config: Config): QuotaLimits {
  return {
    exercises: config.quotaExercises,
    teams: config.quotaTeams,
    hosts: config.quotaHosts,
    cpu: config.quotaCpu,
    memoryBytes: config.quotaMemoryBytes,
    diskBytes: config.quotaDiskBytes,
    defaultTtlMs: config.exerciseTtlDefaultMs,
    maxTtlMs: config.exerciseTtlMaxMs,
  };
}

/** The operator's limits every scenario is checked against (configuration). */
export function scenarioLimits(config: Config): ScenarioLimits {
  return { diskMaxBytes: config.hostDiskMaxBytes };
}
