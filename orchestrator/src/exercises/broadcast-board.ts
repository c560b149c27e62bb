export interface Broadcast {
  exerciseId: string;
  /** ISO 8601. */
  at: string;
  message: string;
}

/**
 * The instructors' broadcasts to the teams of an exercise: the last few are kept per exercise for
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

  send(exerciseId: string, message: string): Broadcast {
    const broadcast = { exerciseId, at: new Date(this.clock()).toISOString(), message };
    const list = [...(this.recent.get(exerciseId) ?? []), broadcast].slice(-this.keep);
    this.recent.set(exerciseId, list);
    for (const listener of this.listeners) listener(broadcast);
    return broadcast;
  }

  /** The recent broadcasts of an exercise, oldest first. */
  of(exerciseId: string): Broadcast[] {
    return [...(this.recent.get(exerciseId) ?? [])];
  }

  subscribe(listener: (broadcast: Broadcast) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
