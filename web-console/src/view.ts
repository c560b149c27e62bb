/** A page of the console: its element, a re-render for a language switch, and its teardown. */
export interface View {
  readonly element: HTMLElement;
  /** Re-renders the texts in the new language (state, sockets and terminals are kept). */
  relocalize(): void;
  /** Closes sockets and timers. */
  dispose(): void;
}
