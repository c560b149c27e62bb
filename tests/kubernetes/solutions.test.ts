import Docker from 'dockerode';
import { pushImages } from '../../orchestrator/src/images/image-pusher.ts';
import { KubernetesRuntimeDriver } from '../../orchestrator/src/runtime/kubernetes/kubernetes-runtime-driver.ts';
import { describeScenarioSolutions } from '../engine/scenario-solutions.ts';
import { CLUSTER, clusterDnsAddress, requireCluster } from './cluster.ts';

/**
 * The Docker suite's scenario solutions, on the real cluster: the `cyrop/*` images pushed to the
 * cluster's registry (`cyrop images push`) and pulled by digest, two teams per scenario.
 */
describeScenarioSolutions('shipped scenarios are solvable (2 teams, Kubernetes)', {
  driver: async (ctx) => {
    requireCluster(ctx);
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
        ctx.skip();
      }
    }
    const pushed = await pushImages(images, CLUSTER.pushRegistry);
    return KubernetesRuntimeDriver.connect({
      kubeconfig: CLUSTER.kubeconfig,
      namespacePrefix: 'cyv',
      inCluster: false,
      registry: CLUSTER.pullRegistry,
      dnsAddress: clusterDnsAddress(),
      digests: Object.fromEntries(pushed.map((p) => [p.image, p.digest])),
    });
  },
  // Planned addresses (bound to the pods' own once they run) come from this pool.
  service: { subnetPool: '10.238.0.0/16' },
});
