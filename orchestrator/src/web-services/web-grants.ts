import { randomBytes } from 'node:crypto';
import type { WebTarget } from './web-access.ts';

/** What a ticket or grant stands for: one web service, for the holder of one console session. */
export interface WebGrant {
  target: WebTarget;
  /** The console session it was issued to: it ends with it (re-checked on use). */
  sessionToken: string;
  /** The path the first page opens. */
  path: string;
}

export interface WebGrantLimits {
  /** How long a ticket may wait to be exchanged (ms; 60 s). */
  ticketTtlMs: number;
  /** How long a grant lives without use (ms; 4 h). */
  idleTtlMs: number;
  /** Tickets and grants held at once; the least recently used go first beyond it (10,000 each). */
  maxEntries: number;
}

export const DEFAULT_GRANT_LIMITS: WebGrantLimits = {
  ticketTtlMs: 60_000,
  idleTtlMs: 4 * 3_600_000,
  maxEntries: 10_000,
};

/**
 * Tickets and grants of the web service listener, in memory (a restart signs every web tab out: the
 * console hands out a new ticket on the next click). A ticket is what the console's API hands to the
 * browser: one use, short-lived, carried once in a URL. The web listener exchanges it for a grant,
 * whose id lives in an HttpOnly cookie of the web origin only. Ids are 256 random bits.
 */
export class WebGrants {
  private readonly tickets = new Map<string, { grant: WebGrant; expiresAt: number }>();
  private readonly grants = new Map<string, { grant: WebGrant; usedAt: number }>();
  private readonly limits: WebGrantLimits;

  constructor(
    limits: Partial<WebGrantLimits> = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.limits = { ...DEFAULT_GRANT_LIMITS, ...limits };
  }

  issueTicket(grant: WebGrant): { ticket: string; expiresAt: number } {
    this.sweep();
    const ticket = newId();
    const expiresAt = this.clock() + this.limits.ticketTtlMs;
    this.tickets.set(ticket, { grant, expiresAt });
    evictOldest(this.tickets, this.limits.maxEntries);
    return { ticket, expiresAt };
  }

  /** The grant id for a ticket, once: a used, unknown or expired ticket gives undefined. */
  redeem(ticket: string): { id: string; grant: WebGrant } | undefined {
    const entry = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    if (!entry || entry.expiresAt <= this.clock()) return undefined;
    const id = newId();
    this.grants.set(id, { grant: entry.grant, usedAt: this.clock() });
    evictOldest(this.grants, this.limits.maxEntries);
    return { id, grant: entry.grant };
  }

  /** The grant of a cookie value, counted as used now; undefined when unknown or idle too long. */
  use(id: string): WebGrant | undefined {
    const entry = this.grants.get(id);
    if (!entry) return undefined;
    if (entry.usedAt + this.limits.idleTtlMs <= this.clock()) {
      this.grants.delete(id);
      return undefined;
    }
    entry.usedAt = this.clock();
    // most recently used last, so that eviction takes the least recently used
    this.grants.delete(id);
    this.grants.set(id, entry);
    return entry.grant;
  }

  revoke(id: string): void {
    this.grants.delete(id);
  }

  get size(): { tickets: number; grants: number } {
    return { tickets: this.tickets.size, grants: this.grants.size };
  }

  private sweep(): void {
    const now = this.clock();
    for (const [k, v] of this.tickets) if (v.expiresAt <= now) this.tickets.delete(k);
  }
}

function newId(): string {
  return randomBytes(32).toString('base64url');
}

function evictOldest<V>(map: Map<string, V>, max: number): void {
  while (map.size > max) {
    const oldest = map.keys().next().value;
    if (oldest === undefined) return;
    map.delete(oldest);
  }
}
