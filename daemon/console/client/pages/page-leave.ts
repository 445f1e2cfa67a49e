/**
 * Runs a clean-up when the user leaves the page it was drawn for: the next hash change (another
 * console page) or the document being hidden for good (tab closed, reload). Pages that hold a
 * secret value or a private key in memory drop it here.
 */
export function onLeave(fn: () => void): void {
  let done = false;
  const run = () => {
    if (done) return;
    done = true;
    window.removeEventListener('hashchange', run);
    window.removeEventListener('pagehide', run);
    fn();
  };
  window.addEventListener('hashchange', run);
  window.addEventListener('pagehide', run);
}
