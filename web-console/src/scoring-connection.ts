import { io, type Socket } from 'socket.io-client';
import type {
  Broadcast,
  SCORING_NAMESPACE as ServerNamespace,
  ScoringClientToServer,
  ScoringServerToClient,
} from '../../contract/scoring-events.ts';

/** The `/scoring` messages plus the instructors' `broadcast` to every console of an exercise. */
export type ConsoleScoringEvents = ScoringServerToClient & { broadcast: (broadcast: Broadcast) => void };
export type ScoringSocket = Socket<ConsoleScoringEvents, ScoringClientToServer>;

const SCORING_NAMESPACE: typeof ServerNamespace = '/scoring';

/** Live scoring (websocket only, the session cookie). Participants are subscribed on connection. */
export function connectScoring(): ScoringSocket {
  return io(SCORING_NAMESPACE, { transports: ['websocket'], withCredentials: true });
}
