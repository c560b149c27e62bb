import { expect } from 'chai';
import type { NetworkInspectInfo } from 'dockerode';
import { interfaceBlocks, routeBlocks } from '../shared/host-addresses.ts';
import { bridgeInterfaceOf, engineBlocks } from './addresses-in-use.ts';

const network = (n: Partial<NetworkInspectInfo> & { Name: string; Id: string }): NetworkInspectInfo =>
  ({
    Driver: 'bridge',
    Options: {},
    Labels: {},
    IPAM: { Driver: 'default', Config: [] },
    ...n,
  }) as NetworkInspectInfo;

describe('addresses in use on a Docker host', () => {
  const networks = [
    network({
      Name: 'bridge',
      Id: 'aaaaaaaaaaaaaaaa',
      Options: { 'com.docker.network.bridge.name': 'docker0' },
      IPAM: { Driver: 'default', Config: [{ Subnet: '172.17.0.0/16' }] },
    }),
    network({
      Name: 'shop_default',
      Id: '0123456789abcdef',
      Labels: { 'com.docker.compose.project': 'shop' },
      IPAM: { Driver: 'default', Config: [{ Subnet: '10.200.0.0/24' }, { Subnet: 'fd00::/64' }] },
    }),
    network({
      Name: 'cyrop-ex-team-1-lan',
      Id: 'fedcba9876543210',
      Options: { 'com.docker.network.bridge.name': 'cyr0123456789ab' },
      Labels: {
        'app.kubernetes.io/managed-by': 'cyrop',
        'cyrop.io/exercise': 'ex',
        'cyrop.io/team': 'team-1',
        'cyrop.io/installation': 'inst-b',
      },
      IPAM: { Driver: 'default', Config: [{ Subnet: '10.200.1.0/24', Gateway: '10.200.1.1' }] },
    }),
    network({
      Name: 'host',
      Id: 'hhhhhhhhhhhhhhhh',
      Driver: 'host',
      IPAM: { Driver: 'default', Config: [] },
    }),
  ];

  it('reports every IPv4 block of every network on the engine, naming its owner', () => {
    expect(engineBlocks(networks)).to.deep.equal([
      { block: '172.17.0.0/16', owner: "Docker network 'bridge'" },
      { block: '10.200.0.0/24', owner: "Docker network 'shop_default' (compose project shop)" },
      {
        block: '10.200.1.0/24',
        owner: "Docker network 'cyrop-ex-team-1-lan' (CYROP exercise ex, team-1, installation inst-b)",
        environment: { exercise: 'ex', team: 'team-1', installation: 'inst-b' },
      },
    ]);
    expect(networks.map(bridgeInterfaceOf)).to.deep.equal([
      'docker0',
      'br-0123456789ab',
      'cyr0123456789ab',
      undefined,
    ]);
  });

  it('reads /proc/net/route: no default route, no engine bridges, gateways named', () => {
    const proc = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
      'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
      'eth0\t0000000A\t010200C0\t0003\t0\t0\t0\t000000FF\t0\t0\t0',
      'docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
      'eth1\t0000FEA9\t00000000\t0000\t0\t0\t0\t0000FFFF\t0\t0\t0',
    ].join('\n');
    expect(routeBlocks(proc, new Set(['docker0']))).to.deep.equal([
      { block: '192.0.2.0/24', owner: 'host route 192.0.2.0/24 dev eth0' },
      { block: '10.0.0.0/8', owner: 'host route 10.0.0.0/8 via 192.0.2.1 dev eth0' },
    ]);
  });

  it("reads the host's own IPv4 addresses as the blocks they sit in", () => {
    expect(
      interfaceBlocks(
        {
          lo: [{ family: 'IPv4', cidr: '127.0.0.1/8' }],
          eth0: [
            { family: 'IPv4', cidr: '192.0.2.2/24' },
            { family: 'IPv6', cidr: 'fe80::1/64' },
          ],
          docker0: [{ family: 'IPv4', cidr: '172.17.0.1/16' }],
        },
        new Set(['docker0']),
      ),
    ).to.deep.equal([
      { block: '127.0.0.0/8', owner: 'host address 127.0.0.1/8 on lo' },
      { block: '192.0.2.0/24', owner: 'host address 192.0.2.2/24 on eth0' },
    ]);
  });
});
