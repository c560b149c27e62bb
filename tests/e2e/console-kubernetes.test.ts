import { pushImages } from '../../orchestrator/src/images/image-pusher.ts';
import { KubernetesAdapter } from '../../orchestrator/src/runtime/kubernetes/kubernetes-adapter.ts';
import { terminating } from '../../orchestrator/src/runtime/kubernetes/kubernetes-runtime-driver.ts';
import { KUBE_LABEL } from '../../orchestrator/src/runtime/kubernetes/to-kubernetes.ts';
import { CLUSTER, clusterDnsAddress, requireCluster } from '../kubernetes/cluster.ts';
import { consoleJourney } from './console-journey.ts';

/** The images of the scenario the journey launches (scenarios/usb-leak-forensics). */
const IMAGES = ['cyrop/forensics-workstation:1'];

let adapter: KubernetesAdapter;

/**
 * The console journey (console-journey.ts) on the Kubernetes engine of the local cluster: the same
 * steps, the platform started with CYROP_ENGINE=kubernetes, the scenario's images pushed to the
 * cluster's registry (as `cyrop images push` does). Skipped, saying so, without the cluster. The
 * screenshots go to a temporary folder: the committed ones are the Docker run's.
 */
consoleJourney({
  name: 'Kubernetes engine',
  engine: 'kubernetes',
  prepare: async (ctx) => {
    requireCluster(ctx);
    await pushImages(IMAGES, CLUSTER.pushRegistry);
    ({ adapter } = await KubernetesAdapter.connect({ kubeconfig: CLUSTER.kubeconfig, inCluster: false }));
    return {
      CYROP_ENGINE: 'kubernetes',
      CYROP_KUBECONFIG: CLUSTER.kubeconfig,
      CYROP_KUBE_NAMESPACE_PREFIX: 'cye',
      CYROP_KUBE_DNS: clusterDnsAddress(),
      CYROP_IMAGE_REGISTRY: CLUSTER.pullRegistry,
    };
  },
  teamsOnEngine: async (exercise) => {
    // a team's namespace that is not being deleted, with its pods Ready
    const namespaces = await adapter.list('v1', 'Namespace', `${KUBE_LABEL.exercise}=${exercise}`);
    const live = namespaces.filter((ns) => !terminating(ns));
    const pods = await adapter.list('v1', 'Pod', `${KUBE_LABEL.exercise}=${exercise}`);
    return live
      .filter((ns) => {
        const own = pods.filter((p) => p.metadata?.namespace === ns.metadata?.name);
        return (
          own.length > 0 &&
          own.every((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
        );
      })
      .map((ns) => ns.metadata?.labels?.[KUBE_LABEL.team] ?? '');
  },
  keepScreenshots: false,
});
