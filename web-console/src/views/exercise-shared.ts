/** What the exercise page's panels share: action feedback and re-rendering without losing focus. */

/** What an action answered; `text` is read at each render, so it follows a language switch. */
export type Feedback = { ok: boolean; text: () => string } | undefined;

/** The exercise's API path, the prefix of its download links. */
export function exerciseBase(exerciseId: string): string {
  return `/api/exercises/${encodeURIComponent(exerciseId)}`;
}

/**
 * Re-renders a part of the page that refreshes by itself, giving the focus back to the same control
 * (same row by recording or terminal id, same test id) so a keyboard user does not lose their place.
 */
export function keepingFocus(slot: HTMLElement, render: () => void): void {
  const active = document.activeElement;
  let selector: string | undefined;
  if (active instanceof HTMLElement && slot.contains(active) && active.dataset['testid'] !== undefined) {
    const control = `[data-testid="${CSS.escape(active.dataset['testid'])}"]`;
    const row = active.closest<HTMLElement>('[data-recording-id], [data-terminal-id]');
    const recording = row?.dataset['recordingId'];
    const terminal = row?.dataset['terminalId'];
    selector =
      recording !== undefined
        ? `[data-recording-id="${CSS.escape(recording)}"] ${control}`
        : terminal !== undefined
          ? `[data-terminal-id="${CSS.escape(terminal)}"] ${control}`
          : control;
  }
  render();
  if (selector !== undefined) slot.querySelector<HTMLElement>(selector)?.focus();
}
