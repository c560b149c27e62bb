/** A child of `h`: nodes, text, nothing (skipped), or nested lists of those. */
export type Child = Node | string | number | false | null | undefined | readonly Child[];

/** Attributes (strings, numbers; `true` sets an empty attribute, false/null/undefined none) and `on<event>` listeners. */
export type Props = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;

/** Creates an element: `h('button', { type: 'button', onclick: go }, t('go'))`. Text is never parsed as HTML. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (typeof value === 'function') {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'value' && (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement)) {
      el.value = String(value ?? '');
    } else if (value === true) {
      el.setAttribute(name, '');
    } else if (value !== false && value !== null && value !== undefined) {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === false || child === null || child === undefined) continue;
    if (Array.isArray(child)) append(parent, child as readonly Child[]);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child as string | number)));
  }
}

/** Replaces every child of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A unique id for label/aria wiring. */
let counter = 0;
export function uid(prefix = 'id'): string {
  counter += 1;
  return `${prefix}-${counter}`;
}
