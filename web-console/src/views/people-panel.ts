import { ApiError } from '../api.ts';
import { client } from '../api-client.ts';
import { describeError } from '../describe-error.ts';
import { h, replaceChildren, uid } from '../dom.ts';
import { formatDateTime, formatNumber, t } from '../i18n/i18n.ts';
import type { JoinCodeInfo, RosterImport, TeamMember } from '../types.ts';

/**
 * The people of one exercise for its instructors: who is on which team (roster entries and who joined),
 * a CSV roster import with every bad line shown, the join codes by id with revoke, and the link to the
 * printable join sheet.
 */
export class PeoplePanel {
  readonly element = h('section', { class: 'panel', 'data-testid': 'people-panel' });
  private teams: { id: string; name: string }[] = [];
  private members: TeamMember[] = [];
  private codes: JoinCodeInfo[] = [];
  private error = '';
  private importResult: RosterImport | { problems: { line: number; message: string }[] } | undefined;

  constructor(private readonly exerciseId: string) {
    this.importResult = takeRosterImport(exerciseId);
    this.render();
    void this.load();
  }

  async load(): Promise<void> {
    try {
      const [people, codes] = await Promise.all([
        client.get('/api/exercises/{id}/members', { path: { id: this.exerciseId } }),
        client.get('/api/exercises/{id}/join-codes', { path: { id: this.exerciseId } }),
      ]);
      this.teams = people.teams;
      this.members = people.members;
      this.codes = codes.joinCodes;
      this.error = '';
    } catch (error) {
      this.error = describeError(error);
    }
    this.render();
  }

  relocalize(): void {
    this.render();
  }

  private teamName(id: string): string {
    return this.teams.find((team) => team.id === id)?.name ?? id;
  }

  private render(): void {
    const fileId = uid('roster');
    const result = this.importResult;
    replaceChildren(
      this.element,
      h('h2', {}, t('people.title')),
      this.error !== '' && h('p', { class: 'error', role: 'alert' }, this.error),
      h(
        'p',
        {},
        h(
          'a',
          {
            class: 'button-link',
            href: `#/instructor/exercises/${encodeURIComponent(this.exerciseId)}/sheet`,
            'data-testid': 'join-sheet-link',
          },
          t('people.printSheet'),
        ),
      ),
      this.members.length === 0
        ? h('p', { class: 'muted' }, t('people.none'))
        : h(
            'div',
            { class: 'table-scroll' },
            h(
              'table',
              { class: 'list', 'data-testid': 'member-list' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  h('th', { scope: 'col' }, t('people.team')),
                  h('th', { scope: 'col' }, t('people.name')),
                  h('th', { scope: 'col' }, t('people.email')),
                  h('th', { scope: 'col' }, t('people.account')),
                  h('th', { scope: 'col' }, t('people.source')),
                ),
              ),
              h(
                'tbody',
                {},
                this.members.map((m) =>
                  h(
                    'tr',
                    { 'data-testid': 'member-row' },
                    h('td', {}, this.teamName(m.teamId)),
                    h('th', { scope: 'row' }, m.displayName),
                    h('td', {}, m.email ?? '—'),
                    h('td', {}, m.hasAccount ? t('people.hasAccount') : '—'),
                    h('td', {}, m.source === 'roster' ? t('people.fromRoster') : t('people.joined')),
                  ),
                ),
              ),
            ),
          ),
      h('h3', {}, t('people.importTitle')),
      h('p', { class: 'muted small' }, t('people.importHelp')),
      h('label', { for: fileId }, t('people.rosterFile')),
      ' ',
      h('input', {
        id: fileId,
        type: 'file',
        accept: '.csv,text/csv',
        'data-testid': 'roster-file',
        onchange: (event) => void this.importFile((event.target as HTMLInputElement).files?.[0]),
      }),
      h(
        'div',
        { role: 'status', 'aria-live': 'polite', 'data-testid': 'roster-result' },
        result &&
          ('problems' in result
            ? h(
                'ul',
                { class: 'diagnostics' },
                result.problems.map((p) =>
                  h(
                    'li',
                    { class: 'diag error' },
                    p.line > 0 ? t('people.line', { line: p.line }) : '',
                    ' ',
                    p.message,
                  ),
                ),
              )
            : [
                h('p', {}, t('people.imported', { count: result.added })),
                result.invitations.length > 0 &&
                  h(
                    'ul',
                    { class: 'invitations', 'data-testid': 'roster-invitations' },
                    result.invitations.map((i) =>
                      h('li', {}, i.email, ' — ', h('code', {}, `${location.origin}${i.link}`)),
                    ),
                  ),
              ]),
      ),
      h('h3', {}, t('people.codesTitle')),
      this.codes.length === 0
        ? h('p', { class: 'muted' }, t('people.noCodes'))
        : h(
            'div',
            { class: 'table-scroll' },
            h(
              'table',
              { class: 'list', 'data-testid': 'join-code-list' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  h('th', { scope: 'col' }, t('people.team')),
                  h('th', { scope: 'col' }, t('people.codeLabel')),
                  h('th', { scope: 'col', class: 'num' }, t('people.uses')),
                  h('th', { scope: 'col' }, t('people.expires')),
                  h('th', { scope: 'col' }, t('people.state')),
                  h('th', { scope: 'col' }, t('exercise.actions')),
                ),
              ),
              h(
                'tbody',
                {},
                this.codes.map((c) =>
                  h(
                    'tr',
                    { 'data-testid': 'join-code-row', 'data-state': c.state },
                    h('td', {}, this.teamName(c.teamId)),
                    h('td', {}, c.label ?? '—'),
                    h(
                      'td',
                      { class: 'num' },
                      c.maxUses === null
                        ? formatNumber(c.uses)
                        : `${formatNumber(c.uses)} / ${formatNumber(c.maxUses)}`,
                    ),
                    h('td', {}, formatDateTime(c.expiresAt)),
                    h('td', {}, t(`people.code.${c.state}`)),
                    h(
                      'td',
                      {},
                      c.state === 'active' &&
                        h(
                          'button',
                          {
                            type: 'button',
                            class: 'link',
                            'data-testid': 'join-code-revoke',
                            onclick: () => void this.revoke(c.id),
                          },
                          t('people.revoke'),
                        ),
                    ),
                  ),
                ),
              ),
            ),
          ),
    );
  }

  private async importFile(file: File | undefined): Promise<void> {
    if (!file) return;
    try {
      this.importResult = await client.post('/api/exercises/{id}/roster', {
        path: { id: this.exerciseId },
        body: { csv: await file.text() },
      });
      await this.load();
    } catch (error) {
      const details: unknown = error instanceof ApiError ? error.details : undefined;
      this.importResult = {
        problems: Array.isArray(details)
          ? (details as { line: number; message: string }[])
          : [{ line: 0, message: describeError(error) }],
      };
      this.render();
    }
  }

  private async revoke(id: string): Promise<void> {
    try {
      await client.post('/api/exercises/{id}/join-codes/{codeId}/revoke', {
        path: { id: this.exerciseId, codeId: id },
      });
      await this.load();
    } catch (error) {
      this.error = describeError(error);
      this.render();
    }
  }
}

const PENDING = 'cyrop.rosterImport.';

/** Keeps a roster import made at launch (its invitation links are shown once) for the exercise page. */
export function rememberRosterImport(exerciseId: string, result: RosterImport): void {
  try {
    sessionStorage.setItem(PENDING + exerciseId, JSON.stringify(result));
  } catch {
    // not kept: an org-admin can invite the same people again
  }
}

function takeRosterImport(exerciseId: string): RosterImport | undefined {
  try {
    const text = sessionStorage.getItem(PENDING + exerciseId);
    sessionStorage.removeItem(PENDING + exerciseId);
    return text === null ? undefined : (JSON.parse(text) as RosterImport);
  } catch {
    return undefined;
  }
}
