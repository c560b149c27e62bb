import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { contractScenario } from '../contract/runtime-driver-contract.ts';
import { ensureTestImage } from '../contract/test-images.ts';
import { writeFileSync, mkdirSync } from 'node:fs';
import { ExerciseService } from '../../orchestrator/src/exercises/exercise-service.ts';
import { DockerRuntimeDriver } from '../../orchestrator/src/runtime/docker/docker-runtime-driver.ts';
import { openDatabase, type OpenedDatabase } from '../../orchestrator/src/store/database.ts';

export interface EngineFixture {
  dir: string;
  scenarioDir: string;
  driver: DockerRuntimeDriver;
  database: OpenedDatabase;
  exercises: ExerciseService;
  docker: Docker;
  close(): Promise<void>;
}

/** A data dir, the contract scenario written as a folder, the Docker driver and an exercise service. */
export async function engineFixture(scenarioText?: (image: string) => string): Promise<EngineFixture> {
  const docker = new Docker();
  const image = await ensureTestImage(docker, 'box');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-engine-'));
  const scenarioDir = path.join(dir, 'scenario');
  mkdirSync(scenarioDir);
  writeFileSync(path.join(scenarioDir, 'scenario.yaml'), (scenarioText ?? contractScenario)(image));
  const driver = await DockerRuntimeDriver.connect();
  const database = await openDatabase(path.join(dir, 'data'));
  const exercises = new ExerciseService({
    db: database.db,
    driver,
    subnetPool: '10.232.0.0/16',
    retryDelaysMs: [200],
  });
  return {
    dir,
    scenarioDir,
    driver,
    database,
    exercises,
    docker,
    close: async () => {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
