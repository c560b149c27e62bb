import { FakeRuntimeDriver } from '../../orchestrator/src/runtime/fake/fake-runtime-driver.ts';
import { runtimeDriverContract } from './runtime-driver-contract.ts';

/** The in-memory engine keeps the contract wherever no real process or kernel is needed. */
const NO_PROCESSES = 'the fake engine runs no processes: its hosts are records in memory';

const notApplicable = {
  'idempotent-same-boot': NO_PROCESSES,
  'exec-timeout-kills': NO_PROCESSES,
  'shell-kill-in-host': NO_PROCESSES,
  'shell-back-pressure-blocks-producer': `${NO_PROCESSES} (its \`yes\` is a loop that the paused stream stops; the stream-level clause checks it)`,
};

runtimeDriverContract(
  'fake',
  () => Promise.resolve(new FakeRuntimeDriver()),
  () => Promise.resolve('cyrop-test/box:1'),
  { notApplicable },
);

/** An engine that puts each host on one network (as Kubernetes without Multus): the suite adapts. */
runtimeDriverContract(
  'fake, one network per host',
  () =>
    Promise.resolve(
      new FakeRuntimeDriver({
        engine: 'kubernetes',
        capabilities: {
          fixedAddresses: false,
          grantableCapabilities: [],
          diskLimits: true,
          multiNetwork: false,
        },
      }),
    ),
  () => Promise.resolve('cyrop-test/box:1'),
  { notApplicable },
);
