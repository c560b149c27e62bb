export type { Broadcast } from '../../../contract/scoring-events.ts';
import type { Broadcast } from '../../../contract/scoring-events.ts';

/**
 * The instructors' messages to the teams of an exercise (to all, or to one team): the last few are kept per exercise for
 * consoles that open later, and every new one goes to the listeners (the scoring socket pushes it).
 * Kept in memory: a broadcast is a notice of the moment, not a record (the audit log has them all).
 */
export class BroadcastBoard {
  private readonly recent = new Map<string, Broadcast[]>();
  private readonly listeners = new Set<(broadcast: Broadcast) => void>();

  constructor(
    private readonly keep = 20,
    private readonly clock: () => number = Date.now,
  ) {}

  send(exerciseId: string, message: string, teamId?: string): Broadcast {
    const broadcast: Broadcast = {
      exerciseId,
      at: new Date(this.clock()).toISOString(),
      message,
      ...(teamId !== undefined ? { teamId } : {}),
    };
    const list = [...(this.recent.get(exerciseId) ?? []), broadcast].slice(-this.keep);
    this.recent.set(exerciseId, list);
    for (const listener of this.listeners) listener(broadcast);
    return broadcast;
  }

  /**
   * The recent broadcasts of an exercise, oldest first: with `teamId`, those a member of that team
   * may read (to everyone, or to that team); without, all of them (instructors).
   */
  of(exerciseId: string, teamId?: string): Broadcast[] {
    const all = this.recent.get(exerciseId) ?? [];
    return teamId === undefined ? [...all] : all.filter((b) => b.teamId === undefined || b.teamId === teamId);
  }

  subscribe(listener: (broadcast: Broadcast) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
