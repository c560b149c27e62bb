import { ApiError } from '../api.ts';
import { client } from '../api-client.ts';
import { describeError } from '../describe-error.ts';
import { h, replaceChildren, uid } from '../dom.ts';
import { t } from '../i18n/i18n.ts';
import { setSession } from '../session.ts';
import { MIN_PASSWORD_LENGTH } from '../../../contract/accounts.ts';
import type { Session } from '../types.ts';
import type { View } from '../view.ts';

/**
 * Sign-in for staff, then the forced password change of a one-time password. `done` is called
 * with the session once it may be used.
 */
export class LoginView implements View {
  readonly element = h('section', { class: 'page narrow' });
  private mode: 'login' | 'password';
  private error = '';
  private busy = false;
  private email = '';

  constructor(
    current: Session | undefined,
    private readonly done: (session: Session) => void,
  ) {
    this.mode = current?.mustChangePassword ? 'password' : 'login';
    this.relocalize();
  }

  relocalize(): void {
    if (this.mode === 'login') this.renderLogin();
    else this.renderPassword();
  }

  dispose(): void {
    // nothing to close
  }

  private renderLogin(): void {
    const emailId = uid('email');
    const passwordId = uid('password');
    const errorId = uid('login-error');
    const email = h('input', {
      id: emailId,
      type: 'email',
      name: 'email',
      autocomplete: 'username',
      required: true,
      value: this.email,
      'data-testid': 'login-email',
      'aria-describedby': errorId,
    });
    const password = h('input', {
      id: passwordId,
      type: 'password',
      name: 'password',
      autocomplete: 'current-password',
      required: true,
      'data-testid': 'login-password',
      'aria-describedby': errorId,
    });
    replaceChildren(
      this.element,
      h('h1', {}, t('login.title')),
      h(
        'form',
        {
          class: 'form',
          onsubmit: (event) => {
            event.preventDefault();
            this.email = email.value;
            void this.login(email.value, password.value);
          },
        },
        h('label', { for: emailId }, t('login.email')),
        email,
        h('label', { for: passwordId }, t('login.password')),
        password,
        h(
          'p',
          {
            id: errorId,
            class: 'error',
            role: 'alert',
            'data-testid': 'login-error',
            hidden: this.error === '',
          },
          this.error,
        ),
        h(
          'button',
          { type: 'submit', class: 'primary', 'data-testid': 'login-submit', disabled: this.busy },
          t('login.submit'),
        ),
      ),
      h('p', { class: 'muted' }, t('login.traineeHint')),
    );
    (this.email === '' ? email : password).focus();
  }

  private renderPassword(): void {
    const currentId = uid('current');
    const newId = uid('new');
    const errorId = uid('password-error');
    const current = h('input', {
      id: currentId,
      type: 'password',
      autocomplete: 'current-password',
      required: true,
      'data-testid': 'password-current',
    });
    const next = h('input', {
      id: newId,
      type: 'password',
      autocomplete: 'new-password',
      required: true,
      minlength: MIN_PASSWORD_LENGTH,
      'data-testid': 'password-new',
      'aria-describedby': `${newId}-help ${errorId}`,
    });
    replaceChildren(
      this.element,
      h('h1', {}, t('password.title')),
      h('p', {}, t('password.lead')),
      h(
        'form',
        {
          class: 'form',
          onsubmit: (event) => {
            event.preventDefault();
            void this.changePassword(current.value, next.value);
          },
        },
        h('label', { for: currentId }, t('password.current')),
        current,
        h('label', { for: newId }, t('password.new')),
        next,
        h('p', { id: `${newId}-help`, class: 'muted' }, t('password.help', { min: MIN_PASSWORD_LENGTH })),
        h(
          'p',
          {
            id: errorId,
            class: 'error',
            role: 'alert',
            'data-testid': 'password-error',
            hidden: this.error === '',
          },
          this.error,
        ),
        h(
          'button',
          { type: 'submit', class: 'primary', 'data-testid': 'password-submit', disabled: this.busy },
          t('password.submit'),
        ),
      ),
    );
    current.focus();
  }

  private async login(email: string, password: string): Promise<void> {
    this.busy = true;
    this.error = '';
    try {
      const session = await client.post('/api/auth/login', { body: { email, password } });
      setSession(session);
      this.busy = false;
      if (session.mustChangePassword) {
        this.mode = 'password';
        this.relocalize();
      } else this.done(session);
    } catch (error) {
      this.busy = false;
      this.error =
        error instanceof ApiError && error.code === 'UNAUTHENTICATED'
          ? t('login.wrong')
          : describeError(error);
      this.relocalize();
    }
  }

  private async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    this.busy = true;
    this.error = '';
    try {
      const session = await client.post('/api/auth/password', { body: { currentPassword, newPassword } });
      setSession(session);
      this.busy = false;
      this.done(session);
    } catch (error) {
      this.busy = false;
      this.error =
        error instanceof ApiError && error.code === 'UNAUTHENTICATED'
          ? t('password.wrongCurrent')
          : describeError(error);
      this.relocalize();
    }
  }
}
