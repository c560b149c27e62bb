import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import Docker from 'dockerode';
import { parse } from 'yaml';
import {
  DockerImageBuilder,
  IMAGE_LABEL,
  stableTag,
} from '../../orchestrator/src/images/docker-image-builder.ts';
import type { ImageBuildResult } from '../../orchestrator/src/images/image-builder.ts';
import { REPO } from './helpers.ts';

/**
 * The scenario host images on the real Docker engine: `cyrop images build` makes (or finds) every
 * image the shipped scenarios name, each provides what the scenarios use, and a second run builds
 * nothing. Containers run on the `none` network with the hardening scenario hosts get (all
 * capabilities dropped, no-new-privileges, an init process).
 */
describe('images (Docker engine)', function () {
  this.timeout(20 * 60_000);
  const docker = new Docker();
  const builder = new DockerImageBuilder({ docker });
  let first: ImageBuildResult[] = [];

  before(async function () {
    try {
      await docker.ping();
    } catch {
      this.skip(); // no engine on this machine (infra/engine/ensure-docker.sh starts one)
    }
    first = await builder.build();
  });

  it('builds or finds every image the shipped scenarios use', () => {
    const failed = first.filter((r) => r.status === 'failed');
    expect(failed.map((r) => r.error)).to.deep.equal([]);
    for (const r of first) expect(r.tag).to.equal(stableTag(r.name));
    const tags = first.map((r) => r.tag);
    for (const image of scenarioImages()) expect(tags, `no image definition for ${image}`).to.include(image);
  });

  it('labels, tags and defaults every image (root, sleep infinity)', async () => {
    for (const r of first) {
      const info = await docker.getImage(r.tag).inspect();
      expect(info.Config.Labels[IMAGE_LABEL.contentHash], r.name).to.equal(r.contentHash);
      expect((await docker.getImage(r.hashTag).inspect()).Id, r.name).to.equal(info.Id);
      expect(info.Config.Cmd, r.name).to.deep.equal(['sleep', 'infinity']);
      expect(info.Config.User, r.name).to.equal('');
    }
  });

  it('attacker: the console tools, the trainee user and locales', async () => {
    const tools = [
      'bash',
      'curl',
      'dig',
      'hydra',
      'ip',
      'john',
      'jq',
      'less',
      'nc',
      'nmap',
      'ping',
      'ps',
      'python3',
      'scp',
      'sqlmap',
      'ssh',
      'ssh-copy-id',
      'ssh-keygen',
      'sshpass',
      'tcpdump',
      'tshark',
      'vi',
      'xxd',
    ];
    const r = await run(
      'cyrop/attacker:1',
      `${requireCommands(tools)}
getent passwd trainee
stat -c '%u:%g %a' /home/trainee
locale -a | grep -qix 'ja_JP.utf8' && echo ja-ok
locale -a | grep -qix 'C.utf8' && echo c-ok
[ -u /usr/bin/dumpcap ] && echo dumpcap-setuid || echo dumpcap-plain`,
    );
    expect(r.exitCode, r.output).to.equal(0);
    expect(r.output).to.include('trainee:x:1000:1000::/home/trainee:/bin/bash');
    expect(r.output).to.include('1000:1000 ');
    expect(r.output).to.include('ja-ok').and.include('c-ok').and.include('dumpcap-plain');
  });

  it('attacker: tshark reads a capture as trainee without any capability', async () => {
    // One UDP datagram in a classic pcap file, written by Python's standard library.
    const r = await run(
      'cyrop/attacker:1',
      `cd /tmp && python3 - <<'EOF'
import struct
udp = struct.pack('!HHHH', 5353, 53, 12, 0) + b'cyro'
ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
frame = b'\\x02' * 6 + b'\\x04' * 6 + b'\\x08\\x00' + ip + udp
with open('one.pcap', 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    f.write(struct.pack('<IIII', 1700000000, 0, len(frame), len(frame)) + frame)
EOF
tshark -r one.pcap -T fields -e ip.src -e udp.dstport 2>&1`,
      { user: 'trainee' },
    );
    expect(r.exitCode, r.output).to.equal(0);
    expect(r.output).to.match(/10\.0\.0\.1\s+53/);
  });

  it('target-linux: sshd, cron and the administration tools; no host keys; pam_loginuid optional', async () => {
    const tools = [
      '/usr/sbin/sshd',
      'ssh',
      'ssh-keygen',
      'cron',
      'python3',
      'curl',
      'ss',
      'ps',
      'pgrep',
      'pkill',
      'killall',
      'fuser',
      'lsof',
      'less',
      'vi',
      'nano',
      'sqlite3',
      'nc',
      'setpriv',
      'start-stop-daemon',
      'useradd',
      'usermod',
      'userdel',
      'chpasswd',
      'chage',
      'getent',
      'base64',
      'hostname',
      'gzip',
      'tar',
      'awk',
      'find',
    ];
    const r = await run(
      'cyrop/target-linux:1',
      `${requireCommands(tools)}
ls /etc/ssh/ssh_host_* 2>/dev/null && echo host-keys-present
grep -E '^session[[:space:]]+optional[[:space:]]+pam_loginuid.so' /etc/pam.d/sshd /etc/pam.d/cron | wc -l
python3 -W ignore -c 'import crypt, sqlite3; print("py-ok")'
for g in sudo adm shadow www-data; do getent group "$g" >/dev/null || echo "no group $g"; done`,
    );
    expect(r.exitCode, r.output).to.equal(0);
    expect(r.output).not.to.include('host-keys-present');
    expect(r.output).to.match(/^2$/m);
    expect(r.output).to.include('py-ok');
    expect(r.output).not.to.include('no group');
  });

  it('target-linux: sshd accepts a key login and cron starts under the scenario hardening', async () => {
    const r = await run(
      'cyrop/target-linux:1',
      `set -e
useradd --create-home --shell /bin/bash dev
ssh-keygen -A >/dev/null
mkdir -p /run/sshd /root/.ssh
ssh-keygen -q -t ed25519 -N '' -f /root/.ssh/id_ed25519
install -d -o dev -g dev -m 0700 /home/dev/.ssh
install -o dev -g dev -m 0600 /root/.ssh/id_ed25519.pub /home/dev/.ssh/authorized_keys
/usr/sbin/sshd -t
/usr/sbin/sshd -e
cron
sleep 1
ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null dev@127.0.0.1 'id -un; echo session-ok' 2>&1
pgrep -x cron >/dev/null && echo cron-running`,
      {
        capabilities: [
          'AUDIT_WRITE',
          'CHOWN',
          'DAC_OVERRIDE',
          'FOWNER',
          'KILL',
          'NET_BIND_SERVICE',
          'SETGID',
          'SETUID',
          'SYS_CHROOT',
        ],
      },
    );
    expect(r.exitCode, r.output).to.equal(0);
    expect(r.output).to.match(/^dev$/m);
    expect(r.output).to.include('session-ok').and.include('cron-running');
  });

  it('target-web: python3 with the standard library HTTP server', async () => {
    const r = await run(
      'cyrop/target-web:1',
      `${requireCommands(['python3', 'ps'])}
python3 -c 'import http.server, json, hmac, urllib.request, base64; print("py-ok")'`,
    );
    expect(r.exitCode, r.output).to.equal(0);
    expect(r.output).to.include('py-ok');
  });

  it('forensics-workstation: The Sleuth Kit finds a deleted file in an ext2 image made with mke2fs -d', async () => {
    const tools = [
      'fls',
      'ils',
      'icat',
      'fcat',
      'istat',
      'mmls',
      'mke2fs',
      'debugfs',
      'file',
      'strings',
      'xxd',
      'unzip',
      'zip',
      'gzip',
      'tar',
      'jq',
      'less',
      'vi',
      'ps',
      'python3',
      'sha256sum',
    ];
    const r = await run(
      'cyrop/forensics-workstation:1',
      `${requireCommands(tools)}
getent passwd trainee
mkdir -p /tmp/stage && echo evidence > /tmp/stage/secret.txt
mke2fs -q -F -t ext2 -b 1024 -d /tmp/stage /tmp/usb.img 1M
debugfs -w -R 'rm /secret.txt' /tmp/usb.img >/dev/null 2>&1
chmod 0444 /tmp/usb.img
id -un
fls -r -d /tmp/usb.img`,
      { user: 'trainee' },
    );
    expect(r.exitCode, r.output).to.equal(0);
    expect(r.output).to.include('trainee:x:1000:1000::/home/trainee:/bin/bash');
    expect(r.output).to.match(/^trainee$/m);
    expect(r.output).to.match(/\* \d+:\s+secret\.txt/);
  });

  it('a second build run finds every image up to date and builds nothing', async () => {
    const again = await builder.build();
    expect(again.map((r) => [r.name, r.status])).to.deep.equal(first.map((r) => [r.name, 'up-to-date']));
    expect(again.map((r) => r.imageId)).to.deep.equal(
      await Promise.all(first.map(async (r) => (await docker.getImage(r.tag).inspect()).Id)),
    );
  });

  /** Run a shell script in a throwaway container of `image` (no network, hardened like a scenario host). */
  async function run(
    image: string,
    script: string,
    options: { user?: string; capabilities?: string[] } = {},
  ): Promise<{ exitCode: number; output: string }> {
    const container = await docker.createContainer({
      Image: image,
      Cmd: ['/bin/bash', '-c', script],
      Tty: true,
      ...(options.user ? { User: options.user } : {}),
      Labels: { 'cyrop.io/test': 'images' },
      HostConfig: {
        NetworkMode: 'none',
        CapDrop: ['ALL'],
        CapAdd: options.capabilities ?? [],
        SecurityOpt: ['no-new-privileges'],
        Init: true,
        Memory: 512 * 1024 * 1024,
        PidsLimit: 256,
      },
    });
    try {
      await container.start();
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      const logs = await container.logs({ stdout: true, stderr: true, follow: false });
      return { exitCode: StatusCode, output: Buffer.from(logs).toString('utf8').replace(/\r/g, '') };
    } finally {
      await container.remove({ force: true });
    }
  }
});

/** `command -v` each tool; the script fails listing every missing one. */
function requireCommands(tools: readonly string[]): string {
  return `missing=''
for c in ${tools.join(' ')}; do command -v "$c" >/dev/null || missing="$missing $c"; done
if [ -n "$missing" ]; then echo "missing:$missing"; exit 1; fi`;
}

/** Every `image:` of the shipped scenarios. */
function scenarioImages(): string[] {
  const dir = path.join(REPO, 'scenarios');
  const images = new Set<string>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const doc = parse(readFileSync(path.join(dir, entry.name, 'scenario.yaml'), 'utf8')) as {
      hosts?: { image?: string }[];
    };
    for (const host of doc.hosts ?? []) if (host.image) images.add(host.image);
  }
  expect(images.size).to.be.greaterThan(0);
  for (const image of images) expect(image).to.match(/^cyrop\/[a-z0-9-]+:1$/);
  return [...images].sort();
}
