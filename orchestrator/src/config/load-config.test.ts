import { expect } from 'chai';
import { CyropError } from '../errors.ts';
import { fileURLToPath } from 'node:url';
import { kubernetesSettings, loadConfig } from './load-config.ts';

describe('loadConfig', () => {
  it('has working defaults', () => {
    const config = loadConfig({});
    expect(config).to.include({
      host: '127.0.0.1',
      port: 8420,
      subnetPool: '10.200.0.0/16',
      logLevel: 'info',
      engine: 'docker',
      reconcileIntervalMs: 60_000,
      terminalGraceMs: 60_000,
      recordingMaxBytes: 16 * 1024 * 1024,
      terminalsPerPrincipal: 16,
      hostDiskMaxBytes: 10 * 1024 ** 3,
      diskLimits: 'enforce',
    });
    expect(config.fixedSubnetPools).to.deep.equal([]); // fixed subnets refused unless the operator allows some
  });

  it('spaces help requests of a team a minute apart unless told otherwise', () => {
    expect(loadConfig({}).helpRequestIntervalMs).to.equal(60_000);
    expect(loadConfig({ CYROP_HELP_REQUEST_INTERVAL: '5m' }).helpRequestIntervalMs).to.equal(300_000);
    expect(loadConfig({ CYROP_HELP_REQUEST_INTERVAL: '0' }).helpRequestIntervalMs).to.equal(0);
    for (const bad of ['2h', 'soon', '-1s'])
      expect(() => loadConfig({ CYROP_HELP_REQUEST_INTERVAL: bad }))
        .to.throw(CyropError)
        .with.property('details')
        .that.deep.equals([
          `CYROP_HELP_REQUEST_INTERVAL=${bad}: must be a duration up to 1h such as 60s or 5m, or 0 for none (ms, s, m, h)`,
        ]);
  });

  it('reports in Asia/Tokyo unless told another IANA time zone, and refuses one it does not know', () => {
    expect(loadConfig({}).timeZone).to.equal('Asia/Tokyo');
    expect(loadConfig({ CYROP_TIME_ZONE: 'UTC' }).timeZone).to.equal('UTC');
    expect(
      loadConfig({ CYROP_TIME_ZONE: 'europe/paris' }).timeZone,
      'written as the zone database does',
    ).to.equal('Europe/Paris');
    expect(loadConfig({}, { timeZone: 'America/New_York' }).timeZone).to.equal('America/New_York');
    for (const bad of ['Asia/Tokio', '+09:00', 'JST+9', 'Asia/Tokyo; rm'])
      expect(() => loadConfig({ CYROP_TIME_ZONE: bad }))
        .to.throw(CyropError, `CYROP_TIME_ZONE=${bad}`)
        .with.property('details')
        .that.deep.equals([
          `CYROP_TIME_ZONE=${bad}: must be an IANA time zone name such as Asia/Tokyo or UTC (not an offset)`,
        ]);
  });

  it('puts the web service listener beside the console unless told otherwise, on an origin apart', () => {
    expect(loadConfig({}).webPort).to.equal(8421);
    expect(loadConfig({ CYROP_PORT: '0' }).webPort, 'a free port when the console takes one').to.equal(0);
    expect(loadConfig({ CYROP_WEB_PORT: 'off' }).webPort).to.equal(undefined);
    expect(loadConfig({ CYROP_WEB_PORT: '9443' }).webPort).to.equal(9443);
    expect(loadConfig({ CYROP_WEB_ORIGIN: 'https://web.range.example.org/' }).webOrigin).to.equal(
      'https://web.range.example.org',
    );
    expect(() =>
      loadConfig({
        CYROP_WEB_PORT: '70000',
        CYROP_WEB_ORIGIN: 'https://range.example.org',
        CYROP_PUBLIC_ORIGINS: 'https://range.example.org',
      }),
    )
      .to.throw(CyropError)
      .with.property('details')
      .that.deep.equals([
        'CYROP_WEB_PORT=70000: must be a TCP port from 0 to 65535 (0 picks a free one), or off',
        "CYROP_WEB_ORIGIN=https://range.example.org: must be an origin such as https://web.range.example.org (scheme, host, optional port; no path), other than the console's (it is one of CYROP_PUBLIC_ORIGINS)",
      ]);
    expect(() => loadConfig({ CYROP_WEB_ORIGIN: 'https://web.example.org/shop' }))
      .to.throw(CyropError)
      .with.property('details')
      .that.has.length(1);
  });

  it('reads the fixed-subnet pools and names a bad one', () => {
    expect(
      loadConfig({ CYROP_FIXED_SUBNET_POOLS: '10.20.0.0/16, 192.168.50.0/24' }).fixedSubnetPools,
    ).to.deep.equal(['10.20.0.0/16', '192.168.50.0/24']);
    expect(() => loadConfig({ CYROP_FIXED_SUBNET_POOLS: '10.20.0.0/16,10.30.0.1/16' }))
      .to.throw(CyropError)
      .with.property('details')
      .that.deep.equals([
        "CYROP_FIXED_SUBNET_POOLS=10.20.0.0/16,10.30.0.1/16: '10.30.0.1/16' has host bits set: the block is 10.30.0.0/16; must be IPv4 CIDR blocks separated by commas, such as 10.20.0.0/16,192.168.50.0/24",
      ]);
  });

  it('reads the environment, and flags win over it', () => {
    const config = loadConfig(
      {
        CYROP_PORT: '9000',
        CYROP_ENGINE: 'none',
        CYROP_RECONCILE_SECONDS: '15',
        CYROP_TERMINAL_GRACE_SECONDS: '5',
        CYROP_RECORDING_MAX_BYTES: '1048576',
        CYROP_HOST_DISK_MAX: '2Gi',
        CYROP_DISK_LIMITS: 'off',
      },
      { port: 9100 },
    );
    expect(config).to.include({
      port: 9100,
      engine: 'none',
      reconcileIntervalMs: 15_000,
      terminalGraceMs: 5_000,
      recordingMaxBytes: 1_048_576,
      hostDiskMaxBytes: 2 * 1024 ** 3,
      diskLimits: 'off',
    });
  });

  it('lists every problem at once, naming the variable', () => {
    try {
      loadConfig({
        CYROP_PORT: 'eighty',
        CYROP_ENGINE: 'podman',
        CYROP_SUBNET_POOL: '10.0.0.0',
        CYROP_LOG_LEVEL: 'loud',
        CYROP_RECONCILE_SECONDS: '1',
        CYROP_TERMINAL_GRACE_SECONDS: 'a minute',
        CYROP_RECORDING_MAX_BYTES: '10',
        CYROP_HOST_DISK_MAX: '10G',
        CYROP_DISK_LIMITS: 'maybe',
      });
      expect.fail('accepted a bad configuration');
    } catch (error) {
      expect(error).to.be.instanceOf(CyropError);
      expect((error as CyropError).details).to.deep.equal([
        'CYROP_PORT=eighty: must be a TCP port from 0 to 65535 (0 picks a free one)',
        'CYROP_LOG_LEVEL=loud: must be one of fatal, error, warn, info, debug, trace, silent',
        'CYROP_SUBNET_POOL=10.0.0.0: must be an IPv4 CIDR block such as 10.200.0.0/16',
        'CYROP_ENGINE=podman: must be docker, kubernetes or none',
        'CYROP_RECONCILE_SECONDS=1: must be a whole number of seconds from 5 to 86400',
        'CYROP_TERMINAL_GRACE_SECONDS=a minute: must be a whole number of seconds from 0 to 86400',
        'CYROP_RECORDING_MAX_BYTES=10: must be a whole number of bytes from 65536 to 1073741824',
        'CYROP_HOST_DISK_MAX=10G: must be a size from 16Mi to 1024Gi such as 10Gi (Ki, Mi or Gi)',
        'CYROP_DISK_LIMITS=maybe: must be enforce or off',
      ]);
    }
  });

  it('reads the Kubernetes engine keys into the settings the driver is built from', () => {
    const defaults = loadConfig({ CYROP_ENGINE: 'kubernetes' });
    expect(defaults.engine).to.equal('kubernetes');
    expect(kubernetesSettings(defaults)).to.deep.equal({
      namespacePrefix: 'cyrop-',
      inCluster: false,
      qps: 100,
      burst: 200,
    });
    expect(defaults.launchConcurrency).to.equal(4);
    const kubeconfig = fileURLToPath(import.meta.url); // any file that exists
    const config = loadConfig({
      CYROP_ENGINE: 'kubernetes',
      CYROP_KUBECONFIG: kubeconfig,
      CYROP_KUBE_CONTEXT: 'range@lab',
      CYROP_KUBE_NAMESPACE_PREFIX: 'lab-',
      CYROP_IMAGE_REGISTRY: 'registry.lab.test:5000/cyrop/',
      CYROP_KUBE_TEAM_ROLE: 'range-cyrop-team',
      CYROP_KUBE_QPS: '400',
      CYROP_LAUNCH_CONCURRENCY: '64',
    });
    expect(kubernetesSettings(config)).to.deep.equal({
      kubeconfig,
      context: 'range@lab',
      namespacePrefix: 'lab-',
      registry: 'registry.lab.test:5000/cyrop',
      inCluster: false,
      teamRole: 'range-cyrop-team',
      qps: 400,
      burst: 800, // twice the rate unless set
    });
    expect(config.launchConcurrency).to.equal(64);
    expect(kubernetesSettings(loadConfig({ CYROP_KUBE_QPS: '50', CYROP_KUBE_BURST: '50' }))).to.include({
      qps: 50,
      burst: 50,
    });
  });

  it('refuses rate limits and a launch concurrency out of range, naming the variable', () => {
    expect(() =>
      loadConfig({ CYROP_KUBE_QPS: '0', CYROP_KUBE_BURST: 'lots', CYROP_LAUNCH_CONCURRENCY: '5000' }),
    )
      .to.throw(CyropError)
      .with.property('details')
      .that.deep.equals([
        'CYROP_KUBE_QPS=0: must be a whole number of requests per second from 1 to 10000',
        'CYROP_KUBE_BURST=lots: must be a whole number of requests from 1 to 20000',
        'CYROP_LAUNCH_CONCURRENCY=5000: must be a whole number of teams from 1 to 1000',
      ]);
  });

  it('names each bad Kubernetes key', () => {
    expect(() =>
      loadConfig({
        CYROP_ENGINE: 'kubernetes',
        CYROP_KUBECONFIG: '/nonexistent/kubeconfig',
        CYROP_KUBE_CONTEXT: 'a context',
        CYROP_KUBE_NAMESPACE_PREFIX: 'Cyrop_',
        CYROP_IMAGE_REGISTRY: 'https://registry.lab.test',
        CYROP_KUBE_TEAM_ROLE: 'Team Role',
      }),
    )
      .to.throw(CyropError)
      .with.property('details')
      .that.deep.equals([
        'CYROP_KUBECONFIG=/nonexistent/kubeconfig: no such file; must be the path of a kubeconfig file',
        'CYROP_KUBE_CONTEXT=a context: must be the name of a context of the kubeconfig (letters, digits, . _ : @ / -)',
        'CYROP_KUBE_NAMESPACE_PREFIX=Cyrop_: must be from 1 to 16 lowercase letters, digits or hyphens, starting with a letter and ending with a letter, a digit or one hyphen, such as cyrop-',
        'CYROP_KUBE_TEAM_ROLE=Team Role: must be the name of a ClusterRole (lowercase letters, digits, hyphens, dots and colons)',
        'CYROP_IMAGE_REGISTRY=https://registry.lab.test: must be HOST[:PORT][/PATH] such as registry.example.org:5000/cyrop (no scheme)',
      ]);
  });

  it('reads the sign-in and page keys: trust proxy, public origins, metrics token (never echoed)', () => {
    expect(loadConfig({})).to.include({
      trustProxy: false,
      publicOrigins: undefined,
      metricsToken: undefined,
    });
    const token = 'm'.repeat(40);
    expect(
      loadConfig({
        CYROP_TRUST_PROXY: 'loopback, 10.0.0.0/8,::1',
        CYROP_PUBLIC_ORIGINS: 'https://Range.example.org, http://10.1.2.3:8420/',
        CYROP_METRICS_TOKEN: token,
      }),
    ).to.deep.include({
      trustProxy: ['loopback', '10.0.0.0/8', '::1'],
      publicOrigins: ['https://range.example.org', 'http://10.1.2.3:8420'],
      metricsToken: token,
    });
    expect(loadConfig({ CYROP_TRUST_PROXY: '2' }).trustProxy).to.equal(2);
    expect(loadConfig({ CYROP_TRUST_PROXY: 'false' }).trustProxy).to.equal(false);
    try {
      loadConfig({
        CYROP_TRUST_PROXY: 'true',
        CYROP_PUBLIC_ORIGINS: 'https://range.example.org/console,ftp://x',
        CYROP_METRICS_TOKEN: 'short secret',
      });
      expect.fail('accepted a bad configuration');
    } catch (error) {
      const problems = (error as CyropError).details as string[];
      expect(problems).to.have.length(4);
      expect(problems[0]).to.match(/^CYROP_TRUST_PROXY=true: must be .*not true/);
      expect(problems[1]).to.contain("'https://range.example.org/console' is not an origin");
      expect(problems[2]).to.contain("'ftp://x' is not an origin");
      expect(problems[3]).to.match(/^CYROP_METRICS_TOKEN=\(redacted\)/);
      expect(problems.join()).not.to.contain('short secret');
    }
  });

  it('reads the platform default quotas and lifetimes, and names a bad one', () => {
    expect(loadConfig({})).to.include({
      quotaExercises: 10,
      quotaTeams: 100,
      quotaHosts: 400,
      quotaCpu: 64,
      quotaMemoryBytes: 256 * 1024 ** 3,
      quotaDiskBytes: 1024 * 1024 ** 3,
      exerciseTtlDefaultMs: 4 * 3_600_000,
      exerciseTtlMaxMs: 7 * 86_400_000,
    });
    expect(
      loadConfig({
        CYROP_QUOTA_EXERCISES: '3',
        CYROP_QUOTA_CPU: '2.5',
        CYROP_QUOTA_MEMORY: '8Gi',
        CYROP_EXERCISE_TTL: '90m',
        CYROP_EXERCISE_TTL_MAX: '1d',
      }),
    ).to.include({
      quotaExercises: 3,
      quotaCpu: 2.5,
      quotaMemoryBytes: 8 * 1024 ** 3,
      exerciseTtlDefaultMs: 90 * 60_000,
      exerciseTtlMaxMs: 86_400_000,
    });
    try {
      loadConfig({
        CYROP_QUOTA_TEAMS: '0',
        CYROP_QUOTA_CPU: 'many',
        CYROP_QUOTA_DISK: '1T',
        CYROP_EXERCISE_TTL: '2d',
        CYROP_EXERCISE_TTL_MAX: '1d',
      });
      expect.fail('accepted a bad configuration');
    } catch (error) {
      expect((error as CyropError).details).to.deep.equal([
        'CYROP_QUOTA_TEAMS=0: must be a whole number from 1 to 100000',
        'CYROP_QUOTA_CPU=many: must be a number of CPUs from 0.1 to 100000 such as 16 or 2.5',
        'CYROP_QUOTA_DISK=1T: must be a size from 64Mi such as 1024Gi (Ki, Mi or Gi)',
        'CYROP_EXERCISE_TTL: the default lifetime is longer than CYROP_EXERCISE_TTL_MAX, the maximum',
      ]);
    }
  });
});
