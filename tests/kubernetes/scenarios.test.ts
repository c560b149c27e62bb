import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import Docker from 'dockerode';
import { planExercise } from '../../orchestrator/src/compiler/plan-exercise.ts';
import { pushImages } from '../../orchestrator/src/images/image-pusher.ts';
import { KubernetesRuntimeDriver } from '../../orchestrator/src/runtime/kubernetes/kubernetes-runtime-driver.ts';
import { addressUses } from '../../orchestrator/src/runtime/kubernetes/to-kubernetes.ts';
import { compileScenarioFile } from '../../orchestrator/src/scenarios/scenario-folder.ts';
import { CLUSTER, clusterDnsAddress, requireCluster } from './cluster.ts';

/**
 * Every shipped scenario on the real cluster, one team each: its images pushed to the cluster's
 * registry (`cyrop images push`, pulled by digest), provisioned until every host is ready, then
 * destroyed. A scenario that spells host addresses is refused, naming where.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const scenarios = readdirSync(path.join(ROOT, 'scenarios'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(path.join(ROOT, 'scenarios', d.name, 'scenario.yaml')))
  .map((d) => d.name)
  .sort();

describe('Shipped scenarios on Kubernetes (real cluster)', function () {
  this.timeout(600_000);
  let driver: KubernetesRuntimeDriver;

  before(async function () {
    requireCluster(this);
    const docker = new Docker();
    const images = [
      'cyrop/attacker:1',
      'cyrop/target-linux:1',
      'cyrop/target-web:1',
      'cyrop/forensics-workstation:1',
    ];
    for (const image of images) {
      if (
        !(await docker
          .getImage(image)
          .inspect()
          .catch(() => undefined))
      ) {
        console.log(`      (skipped: ${image} is not built — npx cyrop images build)`);
        this.skip();
      }
    }
    const pushed = await pushImages(images, CLUSTER.pushRegistry);
    driver = await KubernetesRuntimeDriver.connect({
      kubeconfig: CLUSTER.kubeconfig,
      namespacePrefix: 'cyr',
      inCluster: false,
      registry: CLUSTER.pullRegistry,
      dnsAddress: clusterDnsAddress(),
      digests: Object.fromEntries(pushed.map((p) => [p.image, p.digest])),
    });
  });

  for (const scenario of scenarios) {
    it(`${scenario}: ready, or refused naming where it spells addresses`, async () => {
      const compiled = compileScenarioFile(path.join(ROOT, 'scenarios', scenario, 'scenario.yaml')).compiled;
      expect(compiled, scenario).to.not.equal(undefined);
      const [plan] = planExercise(compiled!, {
        exerciseId: `sc-${process.pid}`,
        teams: 1,
        secret: 'k8s-scenarios',
      });
      const ref = { exercise: plan!.exercise.id, team: plan!.team.id };
      try {
        if (addressUses(plan!).length) {
          const error = await driver.provision(plan!).then(
            () => undefined,
            (e: unknown) => e as Error,
          );
          expect(error?.message).to.match(
            /uses host addresses, which Kubernetes assigns when pods start: .* in (file|answers)/,
          );
          return;
        }
        const status = await driver.provision(plan!);
        expect(status.ready).to.equal(true);
        expect(status.hosts.map((h) => h.state)).to.deep.equal(plan!.hosts.map(() => 'ready'));
        const seen = await driver.status(ref);
        expect(seen.hosts.every((h) => h.state === 'running')).to.equal(true);
      } finally {
        await driver.destroy(ref);
      }
    });
  }
});
