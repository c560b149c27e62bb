import { runtimeDriverContract } from '../contract/runtime-driver-contract.ts';
import { connectDriver, pushedTestImage, requireCluster } from './cluster.ts';

/** The RuntimeDriver contract suite against the real local cluster. */
describe('Kubernetes cluster for the contract suite', function () {
  before(function () {
    requireCluster(this);
  });
  runtimeDriverContract(
    'kubernetes',
    () => connectDriver('cyc'),
    () => pushedTestImage('box'),
  );
});
