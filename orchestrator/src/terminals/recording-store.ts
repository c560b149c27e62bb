import { statSync } from 'node:fs';
import path from 'node:path';
import type { Db } from '../store/database.ts';
import type { RecordingInfo } from '../../../contract/terminal-events.ts';

export interface NewRecording {
  recordingId: string;
  terminalId: string;
  exerciseId: string;
  teamId: string;
  host: string;
  openedBy: string;
  /** Who it was, for the audit trail: `user:<id>` or `participant:…`. */
  principal: string;
  startedAt: number;
  includesInput: boolean;
}

const SAFE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * The index of terminal recordings in the store, and where their files are:
 * `<dataDir>/recordings/<exerciseId>/<recordingId>.cast`.
 */
export class RecordingStore {
  constructor(
    private readonly db: Db,
    private readonly dataDir: string,
  ) {}

  /** The file of a recording (ids are checked: nothing outside the recordings folder). */
  fileOf(exerciseId: string, recordingId: string): string {
    if (!SAFE.test(exerciseId) || !SAFE.test(recordingId)) throw new Error('not a recording id');
    return path.join(this.dataDir, 'recordings', exerciseId, `${recordingId}.cast`);
  }

  async start(recording: NewRecording): Promise<void> {
    await this.db
      .insertInto('terminal_recordings')
      .values({
        id: recording.recordingId,
        terminal_id: recording.terminalId,
        exercise_id: recording.exerciseId,
        team_id: recording.teamId,
        host: recording.host,
        opened_by: recording.openedBy,
        principal: recording.principal,
        started_at: recording.startedAt,
        ended_at: null,
        includes_input: recording.includesInput ? 1 : 0,
      })
      .execute();
  }

  async finish(recordingId: string, result: { endedAt: number; bytes: number; truncated: boolean }) {
    await this.db
      .updateTable('terminal_recordings')
      .set({ ended_at: result.endedAt, bytes: result.bytes, truncated: result.truncated ? 1 : 0 })
      .where('id', '=', recordingId)
      .execute();
  }

  /** The recordings of an exercise, newest first; a live one (or one cut by a crash) with its file's size now. */
  async list(exerciseId: string): Promise<RecordingInfo[]> {
    const rows = await this.db
      .selectFrom('terminal_recordings')
      .selectAll()
      .where('exercise_id', '=', exerciseId)
      .orderBy('started_at', 'desc')
      .orderBy('id')
      .execute();
    return rows.map((r) => this.info(r));
  }

  async get(exerciseId: string, recordingId: string): Promise<RecordingInfo | undefined> {
    const row = await this.db
      .selectFrom('terminal_recordings')
      .selectAll()
      .where('exercise_id', '=', exerciseId)
      .where('id', '=', recordingId)
      .executeTakeFirst();
    return row ? this.info(row) : undefined;
  }

  private info(r: {
    id: string;
    terminal_id: string;
    exercise_id: string;
    team_id: string;
    host: string;
    opened_by: string;
    started_at: number;
    ended_at: number | null;
    bytes: number;
    truncated: number;
    includes_input: number;
  }): RecordingInfo {
    let bytes = r.bytes;
    if (r.ended_at === null) {
      try {
        bytes = statSync(this.fileOf(r.exercise_id, r.id)).size;
      } catch {
        bytes = 0;
      }
    }
    return {
      recordingId: r.id,
      terminalId: r.terminal_id,
      exerciseId: r.exercise_id,
      teamId: r.team_id,
      host: r.host,
      openedBy: r.opened_by,
      startedAt: new Date(r.started_at).toISOString(),
      endedAt: r.ended_at === null ? null : new Date(r.ended_at).toISOString(),
      bytes,
      truncated: r.truncated === 1,
      includesInput: r.includes_input === 1,
    };
  }
}
