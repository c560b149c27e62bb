import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { pino, type Logger } from 'pino';
import { createApp } from './api/create-app.ts';
import { competencyCatalogues } from './cli/competency-catalogues.ts';
import type { Config } from './config/load-config.ts';
import { ExerciseService } from './exercises/exercise-service.ts';
import { DockerRuntimeDriver } from './runtime/docker/docker-runtime-driver.ts';
import type { RuntimeDriver } from './runtime/runtime-driver.ts';
import { openDatabase, type Db } from './store/database.ts';
import { ScenarioCatalogue } from './scenarios/scenario-catalogue.ts';

export interface RunningPlatform {
  url: string;
  server: Server;
  logger: Logger;
  close(): Promise<void>;
}

/** The composition root: the one place that wires adapters together and starts the platform server. */
export async function startPlatform(
  config: Config,
  logger: Logger = pino({ level: config.logLevel }, pino.destination(2)),
): Promise<RunningPlatform> {
  const catalogues = await competencyCatalogues(config.dataDir);
  const catalogue = new ScenarioCatalogue(config.scenariosDir, catalogues.catalogueFor).load();
  for (const bad of catalogue.invalid()) {
    logger.warn(
      { file: bad.file, problems: bad.diagnostics.length },
      'scenario in the catalogue is invalid and is not offered',
    );
  }
  const orchestrator = config.engine === 'docker' ? await openOrchestrator(config, logger) : undefined;
  const reconciler = orchestrator
    ? startReconciler(orchestrator, config.reconcileIntervalMs, logger)
    : undefined;
  const server = createServer(createApp({ catalogue, logger }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}/`;
  logger.info({ url, scenarios: catalogue.list().length }, 'platform listening');
  return {
    url,
    server,
    logger,
    close: async () => {
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      await reconciler?.stop();
      await orchestrator?.close();
    },
  };
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
  driver: RuntimeDriver;
  exercises: ExerciseService;
  close(): Promise<void>;
}

/** The store, the engine driver (Docker: the single-host default) and the exercise service, wired. */
export async function openOrchestrator(config: Config, logger?: Logger): Promise<Orchestrator> {
  const database = await openDatabase(config.dataDir);
  try {
    const driver = await DockerRuntimeDriver.connect();
    const { catalogueFor } = await competencyCatalogues(config.dataDir);
    const exercises = new ExerciseService({
      db: database.db,
      driver,
      subnetPool: config.subnetPool,
      catalogueFor,
      ...(logger ? { logger } : {}),
    });
    return { db: database.db, driver, exercises, close: () => database.close() };
  } catch (error) {
    await database.close();
    throw error;
  }
}
