import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { STAFF, type ApiRegistry, type Principal } from '../api/api-registry.ts';
import { mustWatchExercise } from '../access/exercise-access.ts';
import { CyropError } from '../errors.ts';
import type { RecordingStore } from './recording-store.ts';
import type { RecordingInfo } from '../../../contract/terminal-events.ts';

export interface TerminalRouteDeps {
  recordings: RecordingStore;
  /** Whether a user may see everything of an exercise (its organisation's staff, operators). */
  canWatch: (principal: Principal, exerciseId: string) => boolean | Promise<boolean>;
}

const ID = { type: 'string', pattern: '^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$' };
const RECORDING_ID = {
  type: 'string',
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
};

/** Staff: the terminal recordings of an exercise (asciicast v2), listed and downloaded. */
export function terminalRoutes(api: ApiRegistry, { recordings, canWatch }: TerminalRouteDeps): void {
  const own = (principal: Principal | undefined, id: string) => mustWatchExercise(canWatch, principal, id);
  const info = api.schema('RecordingInfo', {
    type: 'object',
    required: [
      'recordingId',
      'terminalId',
      'exerciseId',
      'teamId',
      'host',
      'openedBy',
      'startedAt',
      'endedAt',
      'bytes',
      'truncated',
      'includesInput',
    ],
    properties: {
      recordingId: { type: 'string' },
      terminalId: { type: 'string' },
      exerciseId: { type: 'string' },
      teamId: { type: 'string' },
      host: { type: 'string' },
      openedBy: { type: 'string' },
      startedAt: { type: 'string', format: 'date-time' },
      endedAt: { type: ['string', 'null'], format: 'date-time' },
      bytes: { type: 'integer' },
      truncated: { type: 'boolean' },
      includesInput: { type: 'boolean' },
    },
  });

  api.add<undefined, { id: string }>({
    method: 'get',
    path: '/api/exercises/{id}/recordings',
    operationId: 'listRecordings',
    summary: 'The terminal session recordings of an exercise, newest first',
    tags: ['terminals'],
    access: STAFF,
    params: { required: ['id'], properties: { id: ID } },
    response: { description: 'recordings', schema: { type: 'array', items: info } },
    handler: async ({ principal, params }) => {
      await own(principal, params.id);
      return recordings.list(params.id);
    },
  });

  api.add<undefined, { id: string; recordingId: string }>({
    method: 'get',
    path: '/api/exercises/{id}/recordings/{recordingId}',
    operationId: 'downloadRecording',
    summary: 'Download one terminal recording (asciicast v2; a live one as far as it is written)',
    tags: ['terminals'],
    access: STAFF,
    params: { required: ['id', 'recordingId'], properties: { id: ID, recordingId: RECORDING_ID } },
    response: {
      description: 'the .cast file',
      contentType: 'application/x-asciicast',
      schema: { type: 'string' },
    },
    handler: async ({ principal, params, res }) => {
      await own(principal, params.id);
      const recording = await recordings.get(params.id, params.recordingId);
      if (!recording) throw new CyropError('NOT_FOUND', `no recording '${params.recordingId}'`);
      const file = recordings.fileOf(params.id, params.recordingId);
      const size = await stat(file).then(
        (s) => s.size,
        () => {
          throw new CyropError('NOT_FOUND', `the file of recording '${params.recordingId}' is gone`);
        },
      );
      res.status(200);
      res.setHeader('content-type', 'application/x-asciicast');
      res.setHeader('content-disposition', `attachment; filename="${recordingFileName(recording)}"`);
      res.setHeader('content-length', String(size));
      res.setHeader('cache-control', 'no-store');
      // a live recording grows: send what existed when asked
      await pipeline(createReadStream(file, { start: 0, end: Math.max(0, size - 1) }), res);
      return undefined;
    },
  });
}

/**
 * What a downloaded recording is called: exercise, team, host and start time (UTC, to the second),
 * then the recording's first 8 characters so that two shells started in one second differ, e.g.
 * `ex1-team-1-workstation-20261204-102441-1a2b3c4d.cast`. Ids are DNS labels already; anything else
 * becomes `-`.
 */
export function recordingFileName(
  r: Pick<RecordingInfo, 'exerciseId' | 'teamId' | 'host' | 'startedAt' | 'recordingId'>,
): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '-');
  const stamp = r.startedAt.slice(0, 19).replace(/-/g, '').replace('T', '-').replace(/:/g, '');
  return `${[r.exerciseId, r.teamId, r.host, stamp, r.recordingId.slice(0, 8)].map(safe).join('-')}.cast`;
}
