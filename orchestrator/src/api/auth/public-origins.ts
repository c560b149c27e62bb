/**
 * The origins browsers reach the platform at. A state-changing request and a socket handshake must
 * name one of them in their Host header (a DNS-rebinding page reaches us under its own host name)
 * and, when they carry one, in their Origin header. Configured (`CYROP_PUBLIC_ORIGINS`), or derived
 * from where the server listens: `http://127.0.0.1:PORT`, `http://localhost:PORT`,
 * `http://[::1]:PORT`, and `http://HOST:PORT` for a specific bind address.
 */
export class PublicOrigins {
  private port: number | undefined;

  constructor(
    private readonly configured?: readonly string[],
    private readonly bindHost = '127.0.0.1',
    port?: number,
  ) {
    if (port) this.port = port;
  }

  /** Tell the derived origins the port the server listens on (for port 0). */
  listening(port: number): void {
    this.port = port;
  }

  /** The allowed origins, lower case; `localPort` stands in while the listening port is unknown. */
  list(localPort?: number): string[] {
    if (this.configured) return this.configured.map(normalise);
    const port = this.port ?? localPort;
    if (port === undefined) return [];
    const hosts = ['127.0.0.1', 'localhost', '[::1]'];
    const bind = this.bindHost.includes(':') ? `[${this.bindHost}]` : this.bindHost;
    if (!['0.0.0.0', '[::]', '[::0]'].includes(bind) && !hosts.includes(bind)) hosts.push(bind.toLowerCase());
    return hosts.map((host) => normalise(`http://${host}:${port}`));
  }

  /** Whether an Origin header names a public origin. */
  allowsOrigin(origin: string, localPort?: number): boolean {
    return this.list(localPort).includes(origin.toLowerCase());
  }

  /** Whether a Host header names the host (and port) of a public origin. */
  allowsHost(host: string | undefined, localPort?: number): boolean {
    if (!host) return false;
    const wanted = host.toLowerCase();
    return this.list(localPort).some((origin) => new URL(origin).host === wanted);
  }
}

function normalise(origin: string): string {
  return new URL(origin).origin.toLowerCase();
}
