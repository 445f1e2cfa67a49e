/** The user-facing failure every layer of the CLI may throw; the entry point prints it (no stack) and exits with its code. */
import type { Diagnostic } from './config/diagnostics.js';

/** A user-facing failure with a stable code and a hint; the CLI prints it and exits 1. */
export class CliError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly exitCode: number;
  /** The configuration or plan diagnostics behind the failure (already printed as text), with their sources: what `-json` prints. */
  readonly diagnostics?: { list: readonly Diagnostic[]; sources?: ReadonlyMap<string, string> };
  constructor(code: string, message: string, opts: { hint?: string; exitCode?: number; cause?: unknown; diagnostics?: CliError['diagnostics'] } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'CliError';
    this.code = code;
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? 1;
    this.diagnostics = opts.diagnostics;
  }
}
