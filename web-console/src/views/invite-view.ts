import { client } from '../api-client.ts';
import { describeError } from '../describe-error.ts';
import { h, replaceChildren, uid } from '../dom.ts';
import { t } from '../i18n/i18n.ts';
import { setSession } from '../session.ts';
import type { Session } from '../types.ts';
import type { View } from '../view.ts';

interface InvitationInfo {
  email: string;
  role: string;
  name: string | null;
  organisation: string;
  expiresAt: number;
}

/** An invitation link: choose a name and a password, and the account exists (and is signed in). */
export class InviteView implements View {
  readonly element = h('section', { class: 'page narrow' });
  private info: InvitationInfo | undefined;
  private error = '';
  private busy = false;
  private name = '';
  private password = '';

  constructor(
    private readonly token: string,
    private readonly done: (session: Session) => void,
  ) {
    this.relocalize();
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      this.info = await client.get('/api/invitations/{token}', { path: { token: this.token } });
      this.name = this.info.name ?? '';
    } catch (error) {
      this.error = describeError(error);
    }
    this.relocalize();
  }

  relocalize(): void {
    const nameId = uid('name');
    const passwordId = uid('password');
    const info = this.info;
    replaceChildren(
      this.element,
      h('h1', {}, t('invite.title')),
      this.error !== '' &&
        h('p', { class: 'error', role: 'alert', 'data-testid': 'invite-error' }, this.error),
      info &&
        h(
          'form',
          {
            class: 'form',
            onsubmit: (event) => {
              event.preventDefault();
              void this.accept();
            },
          },
          h(
            'p',
            {},
            t('invite.lead', { organisation: info.organisation, role: t(`role.${info.role as 'trainee'}`) }),
          ),
          h('p', { class: 'muted' }, info.email),
          h('label', { for: nameId }, t('invite.name')),
          h('input', {
            id: nameId,
            required: true,
            maxlength: 100,
            autocomplete: 'name',
            value: this.name,
            'data-testid': 'invite-name',
            oninput: (event) => {
              this.name = (event.target as HTMLInputElement).value;
            },
          }),
          h('label', { for: passwordId }, t('invite.password')),
          h('input', {
            id: passwordId,
            type: 'password',
            required: true,
            minlength: 10,
            autocomplete: 'new-password',
            'data-testid': 'invite-password',
            oninput: (event) => {
              this.password = (event.target as HTMLInputElement).value;
            },
          }),
          h('p', { class: 'muted small' }, t('invite.passwordHelp')),
          h(
            'button',
            { type: 'submit', class: 'primary', disabled: this.busy, 'data-testid': 'invite-submit' },
            t('invite.submit'),
          ),
        ),
    );
  }

  dispose(): void {
    // nothing to close
  }

  private async accept(): Promise<void> {
    this.busy = true;
    this.error = '';
    try {
      const session = await client.post('/api/invitations/accept', {
        body: { token: this.token, name: this.name.trim(), password: this.password },
      });
      setSession(session);
      this.done(session);
    } catch (error) {
      this.busy = false;
      this.error = describeError(error);
      this.relocalize();
    }
  }
}
