/**
 * Shell run through the exec API in scenario pods. The exec API has no user, working directory or
 * environment field (Docker's exec has all three), so this prelude does it inside the pod: it prints
 * its PID (so that a timed-out command or a closed shell can be killed with KILL_TREE), changes
 * directory, and execs the command through `setpriv` as the asked user, with a fresh login
 * environment plus the given variables; its stdio (pipes or terminal) given to that user. POSIX sh, util-linux `setpriv` (Debian's essential set).
 *
 * Arguments: USER WORKDIR N VAR=VALUE×N COMMAND…
 */
export const EXEC_PRELUDE = `echo "$$"
u=$1; d=$2; n=$3; shift 3
switch=
if [ -n "$u" ] && [ "$u" != root ] && [ "$u" != 0 ]; then
  switch=1
  # Docker always gives a container a 0755 /; a runtime started with umask 077 (or an image whose
  # root entry is 0700) gives 0700, where no other user can run anything: make it as on Docker.
  [ "$(stat -c %a /)" != 700 ] || chmod 755 / 2>/dev/null || true
  g=$(id -g "$u") || exit 126
  entry=$(getent passwd "$u") || entry=
  HOME=$(printf '%s' "$entry" | cut -d: -f6)
  USER=$(printf '%s' "$entry" | cut -d: -f1)
  SHELL=$(printf '%s' "$entry" | cut -d: -f7)
  HOME=\${HOME:-/}; USER=\${USER:-$u}; SHELL=\${SHELL:-/bin/sh}; LOGNAME=$USER
  export HOME USER LOGNAME SHELL
  # The exec API's pipes or terminal belong to root: give them to the user, as runc does for
  # Docker's exec, so that /dev/stderr, /dev/tty (ssh's password prompt) open.
  # (A subshell: dash may redirect its own descriptors while it runs a command.)
  for fd in 0 1 2; do
    if [ -p "/proc/$$/fd/$fd" ] || [ -t "$fd" ]; then (chown "$u:$g" "/proc/$$/fd/$fd") 2>/dev/null || true; fi
  done
fi
while [ "$n" -gt 0 ]; do export "$1"; shift; n=$((n - 1)); done
if [ -n "$d" ]; then cd "$d" || exit 126; fi
if [ -n "$switch" ]; then exec setpriv --reuid="$u" --regid="$g" --init-groups --inh-caps=-all -- "$@"; fi
exec "$@"`;

/** The exec command for `cmd` as `user` in `workdir` with `env`. */
export function execCommand(
  cmd: readonly string[],
  options: { user?: string; workdir?: string; env?: Readonly<Record<string, string>> },
  tag = 'cyrop-exec',
): string[] {
  const vars = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`);
  return [
    '/bin/sh',
    '-c',
    EXEC_PRELUDE,
    tag,
    options.user ?? '',
    options.workdir ?? '',
    String(vars.length),
    ...vars,
    ...cmd,
  ];
}
