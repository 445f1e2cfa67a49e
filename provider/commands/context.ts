/** What every `dew` command receives from the CLI entry point: the only place side effects come from. */
import type { KeyFormatLibrary } from './key-format-library.js';

/** A writable text stream (process.stdout in production, a buffer in tests). */
export interface TextOut {
  write(text: string): void;
  /** Writes bytes as they are (a binary secret); absent where the stream takes text only. */
  writeBytes?(bytes: Uint8Array): void;
  /** True when the stream is a terminal (colour allowed unless NO_COLOR is set). */
  readonly isTTY?: boolean;
}

export interface CommandContext {
  argv: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  stdout: TextOut;
  stderr: TextOut;
  /** Reads one line from the user (approval): from the terminal, or piped in; resolves undefined when the input ended first. */
  prompt?: (question: string) => Promise<string | undefined>;
  /** Reads one secret line from the terminal without echoing it; absent when stdin is not a terminal (then `prompt` reads the pipe). */
  promptSecret?: (question: string) => Promise<string | undefined>;
  /** Opens a URL in the desktop's browser (xdg-open); resolves false when it could not. Absent in tests. */
  openBrowser?: (url: string) => Promise<boolean>;
  /** Milliseconds since the epoch; injected so tests control time. */
  now: () => number;
  /**
   * Takes the first Ctrl-C / SIGTERM while `handler` is registered (a second one ends the process
   * at once); returns the function that unregisters it. Absent where there are no signals (tests).
   */
  onInterrupt?: (handler: () => void) => () => void;
  /** The daemon's commands, wired by the entry module (bin/dew.ts); absent in in-process tests. */
  daemon?: DaemonEntry;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * What the CLI runs of the daemon: provider/ never imports daemon/, so bin/dew.ts (the one module
 * that imports both) implements this with typed imports of daemon/main.ts and daemon/offline.ts.
 */
export interface DaemonEntry {
  runDaemon(argv: readonly string[], env: Env, cwd: string, io: { log: (line: string) => void }): Promise<number>;
  runDueJobs(argv: readonly string[], env: Env, cwd: string, io: { out: (text: string) => void; log: (line: string) => void }): Promise<number>;
  runAuditVerify(argv: readonly string[], env: Env, cwd: string, io: { out: (text: string) => void; log: (line: string) => void }): Promise<number>;
  /** The key pair service's key-format library, for the offline `dew kps convert`. */
  keyFormats(): Promise<KeyFormatLibrary>;
  /** The `dew` executable's file, for commands that start `dew daemon` as a child (quickstart). */
  readonly executable: string;
}

/** A command's result is its exit code; commands throw CliError instead of calling process.exit. */
export type Command = (ctx: CommandContext) => Promise<number>;

export { CliError } from '../cli-error.js';
