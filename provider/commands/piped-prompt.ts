/**
 * Answers from a standard input that is not a terminal (`echo yes | dew apply`), one line a
 * question, as Terraform reads them. Reads only while a question waits and pauses after, so a pipe
 * left open never keeps dew running; undefined when the input ends before an answer.
 */
import type { Readable } from 'node:stream';

/** A pipe (a net.Socket) keeps the process alive while referenced, paused or not. */
type MaybeSocket = Readable & { ref?: () => unknown; unref?: () => unknown };

export function pipedPrompt(input: MaybeSocket, output: { write(text: string): void }): (question: string) => Promise<string | undefined> {
  let buffered = '';
  let ended = false;
  let started = false;
  return (question) => {
    output.write(question);
    if (!started) {
      started = true;
      input.setEncoding('utf8');
    }
    return new Promise((resolve) => {
      const finish = (answer: string | undefined): void => {
        input.off('data', onData);
        input.off('end', onEnd);
        input.off('error', onEnd);
        input.pause();
        input.unref?.();
        if (question !== '') output.write('\n'); // ends the question's line; a read with no question writes nothing
        resolve(answer);
      };
      const take = (): boolean => {
        const nl = buffered.indexOf('\n');
        if (nl >= 0) {
          const line = buffered.slice(0, nl).replace(/\r$/, '');
          buffered = buffered.slice(nl + 1);
          finish(line);
          return true;
        }
        if (!ended) return false;
        const rest = buffered;
        buffered = '';
        finish(rest === '' ? undefined : rest);
        return true;
      };
      const onData = (chunk: string): void => {
        buffered += chunk;
        take();
      };
      const onEnd = (): void => {
        ended = true;
        take();
      };
      if (take()) return;
      input.on('data', onData);
      input.once('end', onEnd);
      input.once('error', onEnd);
      input.ref?.();
      input.resume();
    });
  };
}
