import Docker from 'dockerode';
import { DockerRuntimeDriver } from '../../orchestrator/src/runtime/docker/docker-runtime-driver.ts';
import { runtimeDriverContract } from './runtime-driver-contract.ts';
import { ensureTestImage } from './test-images.ts';

runtimeDriverContract(
  'docker',
  () => DockerRuntimeDriver.connect(),
  () => ensureTestImage(new Docker(), 'box'),
);
