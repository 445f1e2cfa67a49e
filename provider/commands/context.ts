/** What every `dew` command receives from the CLI entry point: the only place side effects come from. */

/** A writable text stream (process.stdout in production, a buffer in tests). */
export interface TextOut {
  write(text: string): void;
  /** True when the stream is a terminal (colour allowed unless NO_COLOR is set). */
  readonly isTTY?: boolean;
}

export interface CommandContext {
  argv: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  stdout: TextOut;
  stderr: TextOut;
  /** Reads one line from the user (interactive approval); undefined when stdin is not interactive. */
  prompt?: (question: string) => Promise<string>;
  /** Milliseconds since the epoch; injected so tests control time. */
  now: () => number;
  /**
   * Takes the first Ctrl-C / SIGTERM while `handler` is registered (a second one ends the process
   * at once); returns the function that unregisters it. Absent where there are no signals (tests).
   */
  onInterrupt?: (handler: () => void) => () => void;
}

/** A command's result is its exit code; commands throw CliError instead of calling process.exit. */
export type Command = (ctx: CommandContext) => Promise<number>;

/** A user-facing failure with a stable code and a hint; the CLI prints it and exits 1. */
export class CliError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly exitCode: number;
  constructor(code: string, message: string, opts: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'CliError';
    this.code = code;
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? 1;
  }
}
