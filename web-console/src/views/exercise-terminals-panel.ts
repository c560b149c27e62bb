import type { Reply, TerminalInfo } from '../../../contract/terminal-events.ts';
import { describeCode } from '../describe-error.ts';
import { h, replaceChildren } from '../dom.ts';
import { formatTime, t } from '../i18n/i18n.ts';
import type { TerminalConnection } from '../terminal/terminal-connection.ts';
import { TerminalPane } from '../terminal/terminal-pane.ts';
import { keepingFocus } from './exercise-shared.ts';

/** What the terminals panel asks of the exercise page. */
export interface TerminalsPage {
  /** The page's one `/terminal` socket (opened at the first call). */
  connection(): TerminalConnection;
  teamName(id: string): string;
  /** A shell started or ended: it has a new or a finished recording. */
  recordingsChanged(): void;
}

/**
 * The exercise page's live terminals (every shell open in the exercise: team, host, who, since,
 * attached) and the read-only shadow of one of them (`shadowElement`, placed under the list).
 */
export class ExerciseTerminalsPanel {
  readonly element = h('section', { class: 'panel' });
  readonly shadowElement = h('div', {});
  private liveTerminals: TerminalInfo[] | undefined;
  private terminalsError = '';
  private shadow: { info: TerminalInfo; pane: TerminalPane } | undefined;
  private disposed = false;

  constructor(
    private readonly exerciseId: string,
    private readonly page: TerminalsPage,
  ) {}

  relocalize(): void {
    this.render();
    this.renderShadow();
    this.shadow?.pane.relabel();
  }

  dispose(): void {
    this.disposed = true;
    this.shadow?.pane.dispose();
  }

  /** The socket could not be used: said in place of the list. */
  unavailable(message: string): void {
    this.terminalsError = t('terminal.unavailable', { message });
    this.render();
  }

  /** Asks the server for the exercise's shells (once the socket is up). */
  list(): void {
    if (this.disposed) return;
    const connection = this.page.connection();
    if (!connection.connected) return;
    connection.socket
      .timeout(10_000)
      .emit(
        'list',
        { exerciseId: this.exerciseId },
        (error: Error | null, reply: Reply<{ terminals: TerminalInfo[] }> | undefined) => {
          if (this.disposed) return;
          const before = JSON.stringify([this.terminalsError, this.liveTerminals]);
          const ids = new Set(this.liveTerminals?.map((x) => x.terminalId));
          if (error || !reply) this.terminalsError = t('terminal.noAnswer');
          else if (!reply.ok) this.terminalsError = describeCode(reply.error.code, reply.error.message);
          else {
            this.terminalsError = '';
            const appearedOrEnded =
              this.liveTerminals !== undefined &&
              (reply.terminals.length !== ids.size || reply.terminals.some((x) => !ids.has(x.terminalId)));
            this.liveTerminals = reply.terminals;
            // a shell that started or ended has a new or a finished recording
            if (appearedOrEnded) this.page.recordingsChanged();
          }
          if (JSON.stringify([this.terminalsError, this.liveTerminals]) !== before)
            keepingFocus(this.element, () => this.render());
        },
      );
  }

  private watch(info: TerminalInfo): void {
    this.shadow?.pane.dispose();
    const pane = new TerminalPane({
      connection: this.page.connection(),
      mode: { kind: 'viewer', terminalId: info.terminalId, host: info.host },
      testId: 'shadow-terminal',
    });
    this.shadow = { info, pane };
    this.renderShadow();
    pane.start();
    this.shadowElement.scrollIntoView({ block: 'nearest' });
    this.shadowElement.querySelector<HTMLButtonElement>('[data-testid="shadow-close"]')?.focus();
  }

  private stopWatching(): void {
    this.shadow?.pane.dispose();
    this.shadow = undefined;
    this.renderShadow();
  }

  render(): void {
    const list = this.liveTerminals;
    replaceChildren(
      this.element,
      h('h2', {}, t('exercise.terminals')),
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          'data-testid': 'terminals-refresh',
          'aria-label': t('exercise.refreshTerminals'),
          onclick: () => this.list(),
        },
        t('common.refresh'),
      ),
      this.terminalsError !== '' && h('p', { class: 'error' }, this.terminalsError),
      list === undefined && this.terminalsError === '' && h('p', { class: 'muted' }, t('common.loading')),
      list?.length === 0 && h('p', { class: 'muted' }, t('exercise.noTerminals')),
      list &&
        list.length > 0 &&
        h(
          'table',
          { class: 'list' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, t('exercise.team')),
              h('th', { scope: 'col' }, t('exercise.host')),
              h('th', { scope: 'col' }, t('exercise.openedBy')),
              h('th', { scope: 'col' }, t('exercise.since')),
              h('th', { scope: 'col' }, t('exercise.attached')),
              h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, t('exercise.shadow'))),
            ),
          ),
          h(
            'tbody',
            {},
            list.map((info) =>
              h(
                'tr',
                {
                  'data-testid': 'terminal-row',
                  'data-terminal-id': info.terminalId,
                  'data-team-id': info.teamId,
                  'data-host': info.host,
                },
                h('td', {}, this.page.teamName(info.teamId)),
                h('td', {}, info.host),
                h('td', {}, info.openedBy),
                h('td', {}, formatTime(info.startedAt)),
                h('td', {}, info.attached ? t('exercise.attachedYes') : t('exercise.attachedNo')),
                h(
                  'td',
                  {},
                  h(
                    'button',
                    {
                      type: 'button',
                      'data-testid': 'shadow-button',
                      'aria-pressed': String(this.shadow?.info.terminalId === info.terminalId),
                      onclick: () => this.watch(info),
                    },
                    t('exercise.shadow'),
                  ),
                ),
              ),
            ),
          ),
        ),
    );
  }

  private renderShadow(): void {
    const s = this.shadow;
    if (!s) {
      replaceChildren(this.shadowElement);
      return;
    }
    replaceChildren(
      this.shadowElement,
      h(
        'section',
        { class: 'panel shadow' },
        h(
          'div',
          { class: 'row' },
          h(
            'h2',
            {},
            t('exercise.shadowTitle', {
              team: this.page.teamName(s.info.teamId),
              host: s.info.host,
              who: s.info.openedBy,
            }),
          ),
          h(
            'button',
            { type: 'button', 'data-testid': 'shadow-close', onclick: () => this.stopWatching() },
            t('exercise.stopShadow'),
          ),
        ),
        h('p', { class: 'muted small' }, t('exercise.readOnly')),
        s.pane.element,
      ),
    );
  }
}
