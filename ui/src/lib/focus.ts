// Dialogs and panels hold the keyboard's focus while they are open and give it back when they
// close, as a screen reader user expects of a modal.

const FOCUSABLE =
  'a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"]), [contenteditable="true"]';

/**
 * An attachment: Tab and Shift+Tab go round the controls inside `node` instead of leaving it,
 * and when `node` goes, the focus returns to what had it when `node` came (if that is still
 * on the page).
 */
export function holdFocus(node: HTMLElement): () => void {
  const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const keydown = (event: KeyboardEvent) => {
    if (event.key !== "Tab") return;
    const items = [...node.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
      (el) => !el.hasAttribute("disabled") && !el.closest("[inert], [hidden]"),
    );
    const first = items[0];
    const last = items[items.length - 1];
    if (!first || !last) return;
    const at = document.activeElement;
    if (event.shiftKey && (at === first || at === node)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && at === last) {
      event.preventDefault();
      first.focus();
    }
  };
  node.addEventListener("keydown", keydown);
  return () => {
    node.removeEventListener("keydown", keydown);
    if (before?.isConnected) before.focus();
  };
}
