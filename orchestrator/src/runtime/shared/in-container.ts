/**
 * Shell snippets run inside scenario containers through exec. POSIX sh only, no tools beyond a
 * Debian-slim base (no procps), so they work in any image with /bin/sh.
 */

/** Wrap a command so that its first line of output is its PID in the container's PID namespace. */
export function withPidLine(cmd: readonly string[]): string[] {
  return ['/bin/sh', '-c', 'echo "$$"; exec "$@"', 'cyrop', ...cmd];
}

/**
 * Kill (SIGKILL) process $1, every process of its session, and all their descendants. The engine
 * does not do this when an exec's stream closes: without it, a closed terminal leaves its shell running.
 */
export const KILL_TREE = `root=$1
pids=" $root "
changed=1
while [ "$changed" = 1 ]; do
  changed=0
  for d in /proc/[0-9]*; do
    p=\${d#/proc/}
    case "$pids" in *" $p "*) continue ;; esac
    read -r stat < "$d/stat" 2>/dev/null || continue
    rest=\${stat##*) }
    set -- $rest
    case "$pids" in *" $2 "*) pids="$pids$p "; changed=1; continue ;; esac
    if [ "$4" = "$root" ]; then pids="$pids$p "; changed=1; fi
  done
done
kill -KILL $pids 2>/dev/null
exit 0`;

/** Lists listening TCP sockets (IPv4 and IPv6) as the kernel shows them. */
export const LISTENING_SOCKETS = ['/bin/sh', '-c', 'cat /proc/net/tcp /proc/net/tcp6 2>/dev/null || true'];

/** Whether /proc/net/tcp{,6} output has a socket listening on `port` (state 0A), on any address. */
export function isListening(procNetTcp: string, port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return procNetTcp.split('\n').some((line) => {
    const fields = line.trim().split(/\s+/);
    return fields[1]?.endsWith(`:${hex}`) === true && fields[3] === '0A';
  });
}

/** uid/gid of `user[:group]` from the image's /etc/passwd and /etc/group; numeric ids pass through. */
export function resolveOwner(
  owner: string,
  passwd: string,
  group: string,
): { uid: number; gid: number } | undefined {
  const [user = '', groupName] = owner.split(':');
  const pw = passwd
    .split('\n')
    .map((l) => l.split(':'))
    .find((f) => f[0] === user || f[2] === user);
  const uid = /^\d+$/.test(user) ? Number(user) : pw ? Number(pw[2]) : undefined;
  if (uid === undefined) return undefined;
  let gid = pw ? Number(pw[3]) : uid;
  if (groupName !== undefined) {
    const gr = group
      .split('\n')
      .map((l) => l.split(':'))
      .find((f) => f[0] === groupName || f[2] === groupName);
    if (/^\d+$/.test(groupName)) gid = Number(groupName);
    else if (gr) gid = Number(gr[2]);
    else return undefined;
  }
  return { uid, gid };
}
