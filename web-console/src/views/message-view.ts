import { h, replaceChildren } from '../dom.ts';
import { t, type MessageKey } from '../i18n/i18n.ts';
import type { View } from '../view.ts';

/** A page that only says something (not signed in as needed, …). */
export class MessageView implements View {
  readonly element = h('section', { class: 'page narrow' });

  constructor(
    private readonly title: MessageKey,
    private readonly body: MessageKey,
  ) {
    this.relocalize();
  }

  relocalize(): void {
    replaceChildren(
      this.element,
      h('h1', {}, t(this.title)),
      h('p', {}, t(this.body)),
      h('p', {}, h('a', { href: '#/' }, t('nav.backHome'))),
    );
  }

  dispose(): void {
    // nothing to close
  }
}
