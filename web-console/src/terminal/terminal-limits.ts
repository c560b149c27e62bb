import type {
  TERMINAL_LIMITS as ServerLimits,
  TERMINAL_NAMESPACE as ServerNamespace,
} from '../../../orchestrator/src/terminals/terminal-events-map.ts';

/**
 * The terminal protocol's limits, as the server declares them in `terminal-events-map.ts`. The
 * console imports the orchestrator for types only, so the values are repeated here; the
 * annotation makes a change of the keys (or of the literal ones) a type error.
 */
export const TERMINAL_LIMITS: typeof ServerLimits = {
  maxInputBytes: 64 * 1024,
  ackEveryBytes: 64 * 1024,
  minCols: 2,
  maxCols: 500,
  minRows: 1,
  maxRows: 200,
};

export const TERMINAL_NAMESPACE: typeof ServerNamespace = '/terminal';

/** The largest paste the console sends (in pieces of at most `maxInputBytes`); more is refused. */
export const MAX_PASTE_BYTES = 16 * TERMINAL_LIMITS.maxInputBytes;
