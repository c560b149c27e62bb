import type { RecordingInfo } from '../../../contract/terminal-events.ts';
import { client } from '../api-client.ts';
import { describeError } from '../describe-error.ts';
import { h, replaceChildren } from '../dom.ts';
import { formatBytes, formatDateTime, formatTime, t } from '../i18n/i18n.ts';
import { parseAsciicast } from '../terminal/asciicast.ts';
import { ReplayPlayer } from '../terminal/replay-player.ts';
import { exerciseBase, keepingFocus } from './exercise-shared.ts';

/** What the recordings panel asks of the exercise page. */
export interface RecordingsPage {
  teamName(id: string): string;
  /** The refresh button: the live terminals and the recordings together. */
  refreshLists(): void;
}

/**
 * The exercise page's shell recordings (download as asciicast, replay) and the replay player of
 * one of them (`replayElement`, placed under the list).
 */
export class ExerciseRecordingsPanel {
  readonly element = h('section', { class: 'panel' });
  readonly replayElement = h('div', {});
  private recordings: RecordingInfo[] | undefined;
  private recordingsError = '';
  private replay: { info: RecordingInfo; player: ReplayPlayer } | undefined;
  private disposed = false;

  constructor(
    private readonly exerciseId: string,
    private readonly page: RecordingsPage,
  ) {}

  relocalize(): void {
    this.render();
    this.renderReplay();
    this.replay?.player.relabel();
  }

  dispose(): void {
    this.disposed = true;
    this.replay?.player.dispose();
  }

  /** Reads the list again; re-rendered (keeping the focus) only if it changed. */
  async load(): Promise<void> {
    const before = JSON.stringify([this.recordingsError, this.recordings]);
    try {
      this.recordings = await client.get('/api/exercises/{id}/recordings', {
        path: { id: this.exerciseId },
      });
      this.recordingsError = '';
    } catch (error) {
      this.recordingsError = describeError(error);
    }
    if (this.disposed) return;
    if (JSON.stringify([this.recordingsError, this.recordings]) !== before)
      keepingFocus(this.element, () => this.render());
  }

  private async replayRecording(info: RecordingInfo): Promise<void> {
    this.replay?.player.dispose();
    this.replay = undefined;
    try {
      const response = await fetch(
        `${exerciseBase(this.exerciseId)}/recordings/${encodeURIComponent(info.recordingId)}`,
        {
          credentials: 'same-origin',
        },
      );
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const cast = parseAsciicast(await response.text());
      const player = new ReplayPlayer(cast);
      this.replay = { info, player };
      this.renderReplay();
      player.start();
      player.play();
      this.replayElement.scrollIntoView({ block: 'nearest' });
    } catch (error) {
      this.recordingsError = t('recordings.replayFailed', {
        message: error instanceof Error ? error.message : String(error),
      });
      this.render();
    }
  }

  render(): void {
    const list = this.recordings;
    replaceChildren(
      this.element,
      h('h2', {}, t('exercise.recordings')),
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          'data-testid': 'recordings-refresh',
          'aria-label': t('recordings.refresh'),
          onclick: () => this.page.refreshLists(),
        },
        t('common.refresh'),
      ),
      this.recordingsError !== '' && h('p', { class: 'error' }, this.recordingsError),
      h(
        'ul',
        { class: 'recordings', 'data-testid': 'recordings' },
        list?.length === 0 && h('li', { class: 'muted' }, t('recordings.none')),
        (list ?? []).map((r) =>
          h(
            'li',
            {
              'data-testid': 'recording-row',
              'data-recording-id': r.recordingId,
              'data-terminal-id': r.terminalId,
              'data-team-id': r.teamId,
              'data-host': r.host,
            },
            h('strong', {}, `${this.page.teamName(r.teamId)} / ${r.host}`),
            ' — ',
            r.openedBy,
            ' · ',
            formatDateTime(r.startedAt),
            r.endedAt !== null ? ` – ${formatTime(r.endedAt)}` : ` (${t('recordings.live')})`,
            ' · ',
            formatBytes(r.bytes),
            r.truncated && ` · ${t('recordings.truncated')}`,
            r.includesInput && ` · ${t('recordings.withInput')}`,
            ' ',
            h(
              'a',
              {
                href: `${exerciseBase(this.exerciseId)}/recordings/${encodeURIComponent(r.recordingId)}`,
                download: `${r.recordingId}.cast`,
                'data-testid': 'recording-download',
              },
              t('recordings.download'),
            ),
            ' ',
            h(
              'button',
              { type: 'button', 'data-testid': 'replay-button', onclick: () => void this.replayRecording(r) },
              t('recordings.replay'),
            ),
          ),
        ),
      ),
    );
  }

  private renderReplay(): void {
    const r = this.replay;
    if (!r) {
      replaceChildren(this.replayElement);
      return;
    }
    replaceChildren(
      this.replayElement,
      h(
        'section',
        { class: 'panel' },
        h(
          'div',
          { class: 'row' },
          h(
            'h2',
            {},
            t('recordings.replayTitle', { team: this.page.teamName(r.info.teamId), host: r.info.host }),
          ),
          h(
            'button',
            {
              type: 'button',
              onclick: () => {
                r.player.dispose();
                this.replay = undefined;
                this.renderReplay();
              },
            },
            t('common.close'),
          ),
        ),
        r.player.element,
      ),
    );
  }
}
