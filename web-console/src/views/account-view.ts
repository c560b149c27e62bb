import { ApiError } from '../api.ts';
import { client } from '../api-client.ts';
import { describeError } from '../describe-error.ts';
import { h, replaceChildren, uid } from '../dom.ts';
import { formatDateTime, locale, setLocale, t, type Locale } from '../i18n/i18n.ts';
import { orgKindLabel, roleLabel } from '../labels.ts';
import { setSession } from '../session.ts';
import type { Account, SessionInfo } from '../types.ts';
import type { View } from '../view.ts';

const MIN_PASSWORD_LENGTH = 10;

/**
 * "My account", for everyone signed in with an account: who they are, the preferred language (kept
 * on the server and applied at each sign-in), a password change, and their sessions with "sign out"
 * per session and "sign out everywhere else".
 */
export class AccountView implements View {
  readonly element = h('section', { class: 'page account' });
  private account: Account | undefined;
  private sessions: SessionInfo[] | undefined;
  private error: () => string = () => '';
  private languageStatus: () => string = () => '';
  private passwordStatus: () => string = () => '';
  private passwordError: () => string = () => '';
  private sessionsStatus: () => string = () => '';
  private busy = false;

  constructor() {
    this.relocalize();
    void this.load();
  }

  dispose(): void {
    // nothing to close
  }

  private async load(): Promise<void> {
    try {
      const [account, sessions] = await Promise.all([
        client.get('/api/account'),
        client.get('/api/account/sessions'),
      ]);
      this.account = account;
      this.sessions = sessions.sessions;
      this.error = () => '';
    } catch (error) {
      this.error = () => describeError(error);
    }
    this.relocalize();
  }

  relocalize(): void {
    const focused = (document.activeElement as HTMLElement | null)?.dataset['testid'];
    replaceChildren(
      this.element,
      h('h1', {}, t('account.title')),
      this.error() !== '' && h('p', { class: 'error', role: 'alert' }, this.error()),
      this.renderProfile(),
      this.renderPassword(),
      this.renderSessions(),
    );
    if (focused !== undefined) this.element.querySelector<HTMLElement>(`[data-testid="${focused}"]`)?.focus();
  }

  private renderProfile(): HTMLElement {
    const a = this.account;
    const langId = uid('language');
    return h(
      'section',
      { class: 'panel' },
      h('h2', {}, t('account.profile')),
      !a && h('p', { class: 'muted' }, t('common.loading')),
      a &&
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, t('user.name')),
          h('dd', { 'data-testid': 'account-name' }, a.user.name),
          h('dt', {}, t('user.email')),
          h('dd', {}, a.user.email),
          h('dt', {}, t('user.role')),
          h('dd', {}, roleLabel(a.user.role)),
          h('dt', {}, t('account.organisation')),
          h('dd', {}, `${a.organisation.name} (${orgKindLabel(a.organisation.kind)})`),
        ),
      a &&
        h(
          'div',
          { class: 'form inline-form' },
          h(
            'div',
            { class: 'field' },
            h('label', { for: langId }, t('account.language')),
            h(
              'select',
              {
                id: langId,
                'data-testid': 'account-language',
                'aria-describedby': `${langId}-help`,
                onchange: (event) => {
                  const value = (event.target as HTMLSelectElement).value;
                  void this.saveLanguage(value === '' ? null : (value as Locale));
                },
              },
              h(
                'option',
                { value: '', selected: a.user.preferredLanguage === null },
                t('account.languageBrowser'),
              ),
              h(
                'option',
                { value: 'en', lang: 'en', selected: a.user.preferredLanguage === 'en' },
                'English',
              ),
              h('option', { value: 'ja', lang: 'ja', selected: a.user.preferredLanguage === 'ja' }, '日本語'),
            ),
            h('span', { id: `${langId}-help`, class: 'muted small' }, t('account.languageHelp')),
          ),
        ),
      h(
        'p',
        { role: 'status', class: 'good', 'data-testid': 'account-language-status' },
        this.languageStatus(),
      ),
    );
  }

  private async saveLanguage(language: Locale | null): Promise<void> {
    try {
      this.account = await client.patch('/api/account', { body: { preferredLanguage: language } });
      this.languageStatus = () => t('account.languageSaved');
      // re-renders every view through the locale listener
      if (language !== null && language !== locale()) setLocale(language);
    } catch (error) {
      this.languageStatus = () => describeError(error);
    }
    this.relocalize();
  }

  private renderPassword(): HTMLElement {
    const currentId = uid('current');
    const newId = uid('new');
    const current = h('input', {
      id: currentId,
      type: 'password',
      autocomplete: 'current-password',
      required: true,
      'data-testid': 'account-password-current',
    });
    const next = h('input', {
      id: newId,
      type: 'password',
      autocomplete: 'new-password',
      required: true,
      minlength: MIN_PASSWORD_LENGTH,
      'aria-describedby': `${newId}-help`,
      'data-testid': 'account-password-new',
    });
    return h(
      'section',
      { class: 'panel' },
      h('h2', {}, t('account.password')),
      h(
        'form',
        {
          class: 'form narrow-form',
          onsubmit: (event) => {
            event.preventDefault();
            void this.changePassword(current.value, next.value);
          },
        },
        h('label', { for: currentId }, t('account.currentPassword')),
        current,
        h('label', { for: newId }, t('password.new')),
        next,
        h(
          'p',
          { id: `${newId}-help`, class: 'muted small' },
          t('password.help', { min: MIN_PASSWORD_LENGTH }),
        ),
        this.passwordError() !== '' &&
          h(
            'p',
            { class: 'error', role: 'alert', 'data-testid': 'account-password-error' },
            this.passwordError(),
          ),
        h(
          'div',
          {},
          h(
            'button',
            {
              type: 'submit',
              class: 'primary',
              disabled: this.busy,
              'data-testid': 'account-password-submit',
            },
            t('password.submit'),
          ),
        ),
      ),
      h(
        'p',
        { role: 'status', class: 'good', 'data-testid': 'account-password-status' },
        this.passwordStatus(),
      ),
    );
  }

  private async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    this.busy = true;
    this.passwordError = () => '';
    this.passwordStatus = () => '';
    try {
      const session = await client.post('/api/auth/password', { body: { currentPassword, newPassword } });
      setSession(session);
      this.passwordStatus = () => t('account.passwordChanged');
      this.sessions = (await client.get('/api/account/sessions')).sessions;
    } catch (error) {
      this.passwordError = () =>
        error instanceof ApiError && error.code === 'FORBIDDEN'
          ? t('password.wrongCurrent')
          : describeError(error);
    }
    this.busy = false;
    this.relocalize();
  }

  private renderSessions(): HTMLElement {
    const list = this.sessions;
    const others = list?.filter((s) => !s.current).length ?? 0;
    return h(
      'section',
      { class: 'panel' },
      h(
        'div',
        { class: 'row' },
        h('h2', {}, t('account.sessions')),
        h(
          'button',
          {
            type: 'button',
            'data-testid': 'sessions-end-others',
            disabled: others === 0,
            onclick: () => void this.endOthers(),
          },
          t('account.endOthers'),
        ),
      ),
      h('p', { class: 'muted' }, t('account.sessionsLead')),
      !list && h('p', { class: 'muted' }, t('common.loading')),
      list &&
        h(
          'div',
          { class: 'scroll-x' },
          h(
            'table',
            { class: 'list', 'data-testid': 'session-list' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', { scope: 'col' }, t('account.sessionKind')),
                h('th', { scope: 'col' }, t('account.sessionCreated')),
                h('th', { scope: 'col' }, t('account.sessionLastSeen')),
                h('th', { scope: 'col' }, t('account.sessionExpires')),
                h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, t('user.actions'))),
              ),
            ),
            h(
              'tbody',
              {},
              list.map((s) =>
                h(
                  'tr',
                  {
                    'data-testid': 'session-row',
                    'data-session-id': s.id,
                    'data-current': String(s.current),
                    class: s.current ? 'own' : '',
                  },
                  h(
                    'td',
                    {},
                    s.kind === 'user'
                      ? t('account.sessionUser')
                      : t('account.sessionParticipant', {
                          team: s.teamId ?? '',
                          exercise: s.exerciseId ?? '',
                        }),
                    s.current && [' ', h('span', { class: 'badge ok' }, t('account.thisSession'))],
                  ),
                  h('td', {}, formatDateTime(s.createdAt)),
                  h('td', {}, formatDateTime(s.lastSeenAt)),
                  h('td', {}, formatDateTime(s.expiresAt)),
                  h(
                    'td',
                    {},
                    !s.current &&
                      h(
                        'button',
                        {
                          type: 'button',
                          class: 'link',
                          'data-testid': 'session-end',
                          onclick: () => void this.end(s.id),
                        },
                        t('account.endSession'),
                      ),
                  ),
                ),
              ),
            ),
          ),
        ),
      h('p', { role: 'status', class: 'good', 'data-testid': 'sessions-status' }, this.sessionsStatus()),
    );
  }

  private async end(id: string): Promise<void> {
    try {
      await client.delete('/api/account/sessions/{id}', { path: { id } });
      this.sessionsStatus = () => t('account.ended');
    } catch (error) {
      this.sessionsStatus = () => describeError(error);
    }
    await this.reloadSessions();
  }

  private async endOthers(): Promise<void> {
    try {
      const { ended } = await client.post('/api/account/sessions/sign-out-others');
      this.sessionsStatus = () => t('account.endedOthers', { count: ended });
    } catch (error) {
      this.sessionsStatus = () => describeError(error);
    }
    await this.reloadSessions();
  }

  private async reloadSessions(): Promise<void> {
    try {
      this.sessions = (await client.get('/api/account/sessions')).sessions;
    } catch (error) {
      this.error = () => describeError(error);
    }
    this.relocalize();
  }
}
