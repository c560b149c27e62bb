import { TERMINAL_LIMITS } from '../../../contract/terminal-events.ts';

// The protocol's contract module is plain data and types (no Node imports): the console bundles the
// server's own numbers rather than a copy of them.
export { TERMINAL_LIMITS, TERMINAL_NAMESPACE } from '../../../contract/terminal-events.ts';

/** The largest paste the console sends (in pieces of at most `maxInputBytes`); more is refused. */
export const MAX_PASTE_BYTES = 16 * TERMINAL_LIMITS.maxInputBytes;
