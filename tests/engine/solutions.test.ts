import { DockerRuntimeDriver } from '../../orchestrator/src/runtime/docker/docker-runtime-driver.ts';
import { describeScenarioSolutions } from './scenario-solutions.ts';

describeScenarioSolutions('shipped scenarios are solvable (2 teams, Docker)', {
  driver: () => DockerRuntimeDriver.connect(),
  service: { subnetPool: '10.239.0.0/16' },
});
