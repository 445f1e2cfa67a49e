/** Ctrl-C and SIGTERM for the `dew` process (`CommandContext.onInterrupt`): the entry point's only signal handling. */

/**
 * Registers `handler` for the first SIGINT or SIGTERM; a second one writes why and ends the
 * process at once with exit code 130, as a user pressing Ctrl-C twice expects. Returns the
 * function that unregisters both (the default action, ending the process, applies again).
 */
export function onInterrupt(handler: () => void): () => void {
  let count = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (count++ === 0) return handler();
    process.stderr.write(`\nTwo interrupts received (${signal}). Exiting immediately: changes under way may not be recorded.\n`);
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
