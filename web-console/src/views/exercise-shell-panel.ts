import { h, replaceChildren, uid } from '../dom.ts';
import { t } from '../i18n/i18n.ts';
import type { TerminalConnection } from '../terminal/terminal-connection.ts';
import { TerminalPane } from '../terminal/terminal-pane.ts';

/** What the shell panel asks of the exercise page. */
export interface ShellPage {
  /** The page's one `/terminal` socket. */
  connection(): TerminalConnection;
  teamName(id: string): string;
  say(text: string): void;
  /** A shell was opened or closed (the teams' buttons show which); after a close, `closed` names it. */
  shellChanged(closed?: { teamId: string; host: string }): void;
}

/**
 * The instructor's own interactive shell on a team's console host (one at a time), opened from the
 * teams panel; closing it ends the shell (it is not left running in the team's host).
 */
export class ExerciseShellPanel {
  readonly element = h('div', {});
  private ownShell: { teamId: string; host: string; pane: TerminalPane } | undefined;

  constructor(
    private readonly exerciseId: string,
    private readonly page: ShellPage,
  ) {}

  /** The open shell's team and host, if any. */
  get current(): { teamId: string; host: string } | undefined {
    return this.ownShell;
  }

  relocalize(): void {
    this.render();
    this.ownShell?.pane.relabel();
  }

  dispose(): void {
    this.ownShell?.pane.dispose();
  }

  /** The instructor's own interactive shell on a team's console host (one at a time). */
  open(teamId: string, host: string): void {
    if (this.ownShell?.teamId === teamId && this.ownShell.host === host) {
      this.ownShell.pane.focus();
      return;
    }
    this.ownShell?.pane.dispose();
    const pane = new TerminalPane({
      connection: this.page.connection(),
      mode: {
        kind: 'owner',
        host,
        storageKey: `cyrop.staff-terminal.${this.exerciseId}.${teamId}.${host}`,
        exerciseId: this.exerciseId,
        teamId,
      },
      testId: 'staff-terminal',
    });
    this.ownShell = { teamId, host, pane };
    this.render();
    this.page.shellChanged();
    pane.start();
    this.element.scrollIntoView({ block: 'nearest' });
    pane.focus();
    this.page.say(t('exercise.ownShellOpened', { team: this.page.teamName(teamId), host }));
  }

  /** Ends the instructor's shell (it is not left running in the team's host) and closes the panel. */
  close(): void {
    const shell = this.ownShell;
    if (!shell) return;
    shell.pane.endShell();
    this.ownShell = undefined;
    this.render();
    this.page.shellChanged({ teamId: shell.teamId, host: shell.host });
    this.page.say(t('exercise.ownShellClosed'));
  }

  render(): void {
    const shell = this.ownShell;
    if (!shell) {
      replaceChildren(this.element);
      return;
    }
    const titleId = uid('own-shell');
    replaceChildren(
      this.element,
      h(
        'section',
        { class: 'panel own-shell', 'aria-labelledby': titleId, 'data-testid': 'staff-terminal-panel' },
        h(
          'div',
          { class: 'row' },
          h(
            'h2',
            { id: titleId },
            t('exercise.ownShellTitle', { team: this.page.teamName(shell.teamId), host: shell.host }),
          ),
          h(
            'button',
            { type: 'button', 'data-testid': 'staff-terminal-close', onclick: () => this.close() },
            t('exercise.ownShellClose'),
          ),
        ),
        h('p', { class: 'warn small' }, t('exercise.ownShellNote')),
        shell.pane.element,
      ),
    );
  }
}
