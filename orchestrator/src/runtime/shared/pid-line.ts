import type { Duplex } from 'node:stream';
import { CyropError } from '../../errors.ts';

/*
 * Starting a command whose first output line is its PID (see `withPidLine` in in-container.ts): any
 * engine that execs through a byte stream (Docker's hijacked socket, a Kubernetes exec websocket)
 * reads that line before handing the stream on, so that kill() can reach the process tree later.
 */

/** Reject with ENGINE_TIMEOUT (`message`) when `promise` has not settled within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CyropError('ENGINE_TIMEOUT', message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function readPidLine(socket: Duplex, timeoutMs: number): Promise<number> {
  let seen = Buffer.alloc(0);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const chunk = await new Promise<Buffer | null>((resolve, reject) => {
      const onData = (c: Buffer) => {
        cleanup();
        resolve(c);
      };
      const onEnd = () => {
        cleanup();
        resolve(null);
      };
      const onError = (e: Error) => {
        cleanup();
        reject(e);
      };
      const timer = setTimeout(
        () => {
          cleanup();
          reject(new CyropError('ENGINE_TIMEOUT', `the shell did not start within ${timeoutMs} ms`));
        },
        Math.max(0, deadline - Date.now()),
      );
      const cleanup = () => {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('end', onEnd);
        socket.off('close', onEnd);
        socket.off('error', onError);
        socket.pause();
      };
      socket.on('data', onData);
      socket.once('end', onEnd);
      socket.once('close', onEnd);
      socket.once('error', onError);
    });
    if (chunk === null) throw new CyropError('ENGINE_ERROR', 'the shell ended before it started');
    seen = Buffer.concat([seen, chunk]);
    const nl = seen.indexOf(10);
    if (nl !== -1) {
      const pid = Number(seen.subarray(0, nl).toString('latin1').trim());
      const rest = seen.subarray(nl + 1);
      if (rest.length) socket.unshift(rest);
      if (!Number.isInteger(pid))
        throw new CyropError('ENGINE_ERROR', 'the shell did not report its process id');
      return pid;
    }
  }
}
