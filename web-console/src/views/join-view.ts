import { ApiError } from '../api.ts';
import { client } from '../api-client.ts';
import { describeError } from '../describe-error.ts';
import { h, replaceChildren, uid } from '../dom.ts';
import { t } from '../i18n/i18n.ts';
import { setSession } from '../session.ts';
import type { View } from '../view.ts';

const NAME_KEY = 'cyrop.displayName';

/** A trainee joins the team of a join code under a display name (a participant session). */
export class JoinView implements View {
  readonly element = h('section', { class: 'page narrow' });
  private error = '';
  private busy = false;
  private name: string;

  constructor(
    private readonly code: string,
    private readonly done: () => void,
  ) {
    try {
      this.name = localStorage.getItem(NAME_KEY) ?? '';
    } catch {
      this.name = '';
    }
    this.relocalize();
  }

  relocalize(): void {
    const nameId = uid('name');
    const errorId = uid('join-error');
    const name = h('input', {
      id: nameId,
      name: 'displayName',
      required: true,
      maxlength: 40,
      autocomplete: 'nickname',
      value: this.name,
      'data-testid': 'join-name',
      'aria-describedby': errorId,
      oninput: (event) => {
        this.name = (event.target as HTMLInputElement).value;
      },
    });
    replaceChildren(
      this.element,
      h('h1', {}, t('join.title')),
      h('p', {}, t('join.lead')),
      h(
        'form',
        {
          class: 'form',
          onsubmit: (event) => {
            event.preventDefault();
            void this.join(name.value.trim());
          },
        },
        h('p', { class: 'muted' }, t('join.code', { code: this.code })),
        h('label', { for: nameId }, t('join.name')),
        name,
        h(
          'p',
          {
            id: errorId,
            class: 'error',
            role: 'alert',
            'data-testid': 'join-error',
            hidden: this.error === '',
          },
          this.error,
        ),
        h(
          'button',
          { type: 'submit', class: 'primary', 'data-testid': 'join-submit', disabled: this.busy },
          t('join.submit'),
        ),
      ),
    );
    name.focus();
  }

  dispose(): void {
    // nothing to close
  }

  private async join(displayName: string): Promise<void> {
    if (displayName === '') return;
    this.busy = true;
    this.error = '';
    try {
      const session = await client.post('/api/join', { body: { code: this.code, displayName } });
      setSession(session);
      try {
        localStorage.setItem(NAME_KEY, displayName);
        sessionStorage.clear(); // terminals of an earlier team are not ours any more
      } catch {
        // not remembered
      }
      this.done();
    } catch (error) {
      this.busy = false;
      this.error =
        error instanceof ApiError &&
        (error.code === 'UNAUTHENTICATED' || error.code === 'BAD_REQUEST' || error.status === 404)
          ? t('join.badCode')
          : describeError(error);
      this.relocalize();
    }
  }
}
