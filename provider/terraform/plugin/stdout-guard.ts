/**
 * Stdout belongs to the go-plugin handshake: the first caller takes the real writer, and from then
 * on anything else written to process.stdout (a stray console.log in any module) goes to the
 * debug log on stderr instead of corrupting the protocol.
 */

let realWrite: ((text: string) => void) | undefined;
let divert: (text: string) => void = (text) => void process.stderr.write(text);

/** Patches process.stdout once; returns the writer that still reaches the real stdout. */
export function takeStdout(): (text: string) => void {
  if (realWrite) return realWrite;
  const original = process.stdout.write.bind(process.stdout) as (text: string) => boolean;
  realWrite = (text) => void original(text);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    divert(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    if (cb) queueMicrotask(cb);
    return true;
  }) as typeof process.stdout.write;
  return realWrite;
}

/** Where diverted output goes (the plugin's logger, once it exists). */
export function divertStdout(to: (text: string) => void): void {
  divert = to;
}
