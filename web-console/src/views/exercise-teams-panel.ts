import { client } from '../api-client.ts';
import { describeError } from '../describe-error.ts';
import { h, replaceChildren, uid } from '../dom.ts';
import { formatDateTime, t } from '../i18n/i18n.ts';
import { teamStateLabel } from '../labels.ts';
import type { ExerciseStatus, ExerciseSummary, JoinCode, ScenarioDetail } from '../types.ts';
import type { Feedback } from './exercise-shared.ts';

/** What the teams panel reads from the exercise page and asks of it. */
export interface TeamsPage {
  state(): {
    status: ExerciseStatus | undefined;
    scenario: ScenarioDetail | undefined;
    /** The instructor's own shell, if open (its button is pressed). */
    ownShell: { teamId: string; host: string } | undefined;
  };
  /** An action's answer (the exercise summary): the page merges it into its status. */
  summary(next: ExerciseSummary): void;
  /** A join code was issued (the people panel shows codes too). */
  joinCodeIssued(): void;
  openShell(teamId: string, host: string): void;
  say(text: string): void;
}

/**
 * The exercise page's teams: provisioning per team (host by host), join codes and links, resets of
 * a host or a team (confirmed first), the team's web services and the instructor's own shell, and
 * each team's feedback.
 */
export class ExerciseTeamsPanel {
  readonly element = h('section', { class: 'panel' });
  private codes = new Map<string, JoinCode>();
  private hostChoice = new Map<string, string>();
  private teamFeedback = new Map<string, Feedback>();
  /** A reset waiting for the instructor's confirmation, naming what it will recreate. */
  private confirmingReset: { teamId: string; host?: string } | undefined;

  constructor(
    private readonly exerciseId: string,
    private readonly page: TeamsPage,
  ) {}

  /** Gives the focus back to a team's button of the instructor's shell (once that shell is closed). */
  focusShellButton(teamId: string, host: string): void {
    this.element
      .querySelector<HTMLElement>(
        `[data-team-id="${CSS.escape(teamId)}"] [data-testid="staff-terminal-button"][data-host="${CSS.escape(host)}"]`,
      )
      ?.focus();
  }

  private async joinCode(teamId: string): Promise<void> {
    try {
      const code = await client.post('/api/exercises/{id}/teams/{team}/join-codes', {
        path: { id: this.exerciseId, team: teamId },
        body: {},
      });
      this.codes.set(teamId, code);
      this.teamFeedback.delete(teamId);
      this.page.joinCodeIssued();
    } catch (error) {
      this.teamFeedback.set(teamId, { ok: false, text: () => describeError(error) });
    }
    this.render();
  }

  private askReset(teamId: string, host: string | undefined): void {
    this.confirmingReset = { teamId, ...(host !== undefined ? { host } : {}) };
    this.render();
    this.element.querySelector<HTMLButtonElement>('[data-testid="reset-confirm"]')?.focus();
  }

  /** "Reset host web of Team 1?" with what it costs, then the button that does it, or Cancel. */
  private resetConfirmation(teamName: string): HTMLElement | false {
    const c = this.confirmingReset;
    if (!c) return false;
    const cancel = () => {
      const back = c.host !== undefined ? 'reset-host-button' : 'reset-team-button';
      this.confirmingReset = undefined;
      this.render();
      this.element
        .querySelector<HTMLElement>(`[data-team-id="${CSS.escape(c.teamId)}"] [data-testid="${back}"]`)
        ?.focus();
    };
    return h(
      'div',
      {
        class: 'confirm',
        role: 'group',
        'aria-label': t('exercise.reset'),
        'data-testid': 'reset-confirmation',
      },
      h(
        'p',
        {},
        c.host !== undefined
          ? t('exercise.resetHostConfirm', { host: c.host, team: teamName })
          : t('exercise.resetTeamConfirm', { team: teamName }),
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'danger',
          'data-testid': 'reset-confirm',
          onclick: () => {
            this.confirmingReset = undefined;
            void this.reset(c.teamId, c.host);
          },
        },
        c.host !== undefined
          ? t('exercise.resetHostYes', { host: c.host })
          : t('exercise.resetTeamYes', { team: teamName }),
      ),
      ' ',
      h('button', { type: 'button', 'data-testid': 'reset-cancel', onclick: cancel }, t('common.cancel')),
    );
  }

  private async reset(teamId: string, host: string | undefined): Promise<void> {
    this.teamFeedback.set(teamId, {
      ok: true,
      text: () => (host ? t('exercise.resettingHost', { host }) : t('exercise.resettingTeam')),
    });
    this.render();
    try {
      this.page.summary(
        await client.post('/api/exercises/{id}/teams/{team}/reset', {
          path: { id: this.exerciseId, team: teamId },
          body: host ? { host } : {},
        }),
      );
      this.teamFeedback.set(teamId, {
        ok: true,
        text: () => (host ? t('exercise.resetHostDone', { host }) : t('exercise.resetTeamDone')),
      });
    } catch (error) {
      this.teamFeedback.set(teamId, { ok: false, text: () => describeError(error) });
    }
    this.render();
  }

  /** The team's hosts that have a console (per the scenario; none until it is loaded). */
  private consoleHosts(hosts: readonly string[]): string[] {
    const consoles = new Set(
      this.page
        .state()
        .scenario?.hosts.filter((x) => x.console)
        .map((x) => x.name),
    );
    return hosts.filter((host) => consoles.has(host));
  }

  /** The web services of a team's hosts (per the scenario; none until it is loaded). */
  private webServices(hosts: readonly string[]): { host: string; port: number }[] {
    const present = new Set(hosts);
    return (this.page.state().scenario?.hosts ?? [])
      .filter((x) => present.has(x.name))
      .flatMap((x) => x.web.map((w) => ({ host: x.name, port: w.port })));
  }

  /**
   * A team's web service in a new tab, as its trainees see it (through the web listener's own
   * origin; the window gets no handle on this page). Opened at the click, then sent to the link.
   */
  private async openWeb(teamId: string, host: string, port: number): Promise<void> {
    const opened = window.open('about:blank', '_blank');
    if (opened) opened.opener = null;
    try {
      const link = await client.post('/api/exercises/{id}/teams/{team}/web', {
        path: { id: this.exerciseId, team: teamId },
        body: { host, port },
      });
      if (opened) opened.location.href = link.url;
      else window.open(link.url, '_blank', 'noopener');
    } catch (error) {
      opened?.close();
      this.page.say(describeError(error));
    }
  }

  render(): void {
    const { status: s, ownShell } = this.page.state();
    const focused = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>(
      '[data-testid="team-row"]',
    );
    const focusKey = focused
      ? [focused.dataset['teamId'], (document.activeElement as HTMLElement).dataset['testid']]
      : undefined;
    replaceChildren(
      this.element,
      h('h2', {}, t('exercise.teams')),
      !s && h('p', { class: 'muted' }, t('common.loading')),
      s &&
        h(
          'table',
          { class: 'list teams' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, t('exercise.team')),
              h('th', { scope: 'col' }, t('exercise.provisioning')),
              h('th', { scope: 'col' }, t('exercise.join')),
              h('th', { scope: 'col' }, t('exercise.reset')),
              h('th', { scope: 'col' }, t('exercise.staffTerminal')),
            ),
          ),
          h(
            'tbody',
            {},
            s.teams.map((team) => {
              const over = s.state === 'ended';
              // a running container is not a ready host: the count is the server's (pushed as hosts come up)
              const total = team.hosts.length;
              const ready = team.state === 'ready' ? total : Math.min(total, team.readyHosts);
              const code = this.codes.get(team.id);
              const link = code ? `${location.origin}/#/join/${encodeURIComponent(code.code)}` : '';
              const feedback = this.teamFeedback.get(team.id);
              const hostSelectId = uid('host');
              const hostSelect = h(
                'select',
                {
                  id: hostSelectId,
                  'data-testid': 'reset-host-select',
                  onchange: (event) =>
                    this.hostChoice.set(team.id, (event.target as HTMLSelectElement).value),
                },
                team.hosts.map((host) =>
                  h('option', { value: host, selected: host === this.hostChoice.get(team.id) }, host),
                ),
              );
              return h(
                'tr',
                { 'data-testid': 'team-row', 'data-team-id': team.id, 'data-state': team.state },
                h(
                  'th',
                  { scope: 'row' },
                  team.name,
                  h('br', {}),
                  h('span', { class: 'muted small team-id' }, team.id),
                ),
                h(
                  'td',
                  {},
                  h('span', { class: `state team-${team.state}` }, teamStateLabel(team.state)),
                  ' ',
                  h('progress', {
                    max: Math.max(1, total),
                    value: ready,
                    'aria-label': t('exercise.hostsReady', { ready, total }),
                  }),
                  ' ',
                  h(
                    'span',
                    {
                      class: 'small hosts-ready',
                      'data-testid': 'hosts-ready',
                      'data-ready': ready,
                      'data-total': total,
                    },
                    t('exercise.hostsReady', { ready, total }),
                  ),
                  team.attempts > 1 &&
                    team.state !== 'ready' &&
                    h('span', { class: 'muted small' }, ` · ${t('exercise.attempt', { n: team.attempts })}`),
                  team.lastError !== null &&
                    team.state !== 'ready' &&
                    h('p', { class: 'error small' }, team.lastError),
                ),
                h(
                  'td',
                  {},
                  h(
                    'button',
                    {
                      type: 'button',
                      'data-testid': 'join-code-button',
                      onclick: () => void this.joinCode(team.id),
                    },
                    code ? t('exercise.newJoinCode') : t('exercise.joinCode'),
                  ),
                  code &&
                    h(
                      'div',
                      { class: 'join-code' },
                      h('code', { 'data-testid': 'join-code' }, code.code),
                      h('br', {}),
                      h(
                        'a',
                        { href: link, 'data-testid': 'join-link', target: '_blank', rel: 'noopener' },
                        t('exercise.joinLink'),
                      ),
                      ' ',
                      h(
                        'button',
                        {
                          type: 'button',
                          class: 'link',
                          onclick: () => {
                            void navigator.clipboard.writeText(link).then(
                              () => this.page.say(t('exercise.copied')),
                              () => undefined,
                            );
                          },
                        },
                        t('exercise.copyLink'),
                      ),
                      h(
                        'p',
                        { class: 'muted small' },
                        t('exercise.codeExpires', { time: formatDateTime(code.expiresAt) }),
                      ),
                    ),
                ),
                h(
                  'td',
                  {},
                  h('label', { for: hostSelectId, class: 'sr-only' }, t('exercise.host')),
                  hostSelect,
                  ' ',
                  h(
                    'button',
                    {
                      type: 'button',
                      'data-testid': 'reset-host-button',
                      disabled: over,
                      onclick: () => this.askReset(team.id, hostSelect.value),
                    },
                    t('exercise.resetHost'),
                  ),
                  ' ',
                  h(
                    'button',
                    {
                      type: 'button',
                      'data-testid': 'reset-team-button',
                      disabled: over,
                      onclick: () => this.askReset(team.id, undefined),
                    },
                    t('exercise.resetTeam'),
                  ),
                  this.confirmingReset?.teamId === team.id && this.resetConfirmation(team.name),
                  feedback &&
                    h(
                      'p',
                      { class: feedback.ok ? 'good small' : 'error small', role: 'status' },
                      feedback.text(),
                    ),
                ),
                h(
                  'td',
                  {},
                  this.webServices(team.hosts).map(({ host, port }) =>
                    h(
                      'button',
                      {
                        type: 'button',
                        'data-testid': 'staff-web-button',
                        'data-host': host,
                        'data-port': String(port),
                        disabled: team.state !== 'ready' || s.state !== 'running',
                        onclick: () => {
                          void this.openWeb(team.id, host, port);
                        },
                      },
                      t('exercise.openWeb', { host, port: String(port) }),
                    ),
                  ),
                  this.consoleHosts(team.hosts).map((host) =>
                    h(
                      'button',
                      {
                        type: 'button',
                        'data-testid': 'staff-terminal-button',
                        'data-host': host,
                        disabled: team.state !== 'ready' || s.state !== 'running',
                        'aria-pressed': String(ownShell?.teamId === team.id && ownShell.host === host),
                        onclick: () => this.page.openShell(team.id, host),
                      },
                      t('exercise.openTerminal', { host }),
                    ),
                  ),
                ),
              );
            }),
          ),
        ),
    );
    if (focusKey) {
      const [teamId, testId] = focusKey;
      if (teamId !== undefined && testId !== undefined)
        this.element
          .querySelector<HTMLElement>(
            `[data-team-id="${CSS.escape(teamId)}"] [data-testid="${CSS.escape(testId)}"]`,
          )
          ?.focus();
    }
  }
}
