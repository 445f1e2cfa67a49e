/**
 * A logged-in SSH session for one operation: each remote step (a command, an SFTP request) is
 * bounded by the target's timeout, and the connection is always closed when the operation ends.
 */
import type { SFTPWrapper } from 'ssh2';
import { HostError, oneLine } from './host-error.js';
import type { HostAuth, Target } from './host-target.js';
import { closeConnection, login, type Connection } from './ssh-connect.js';
import { keyLineOf } from './ssh-key-blob.js';

/** Output kept from a remote command (more is read and dropped). */
const OUTPUT_LIMIT = 1 << 20;

export interface ExecResult {
  /** The exit status, or null when the command died of a signal. */
  code: number | null;
  stdout: Buffer;
  stderr: string;
  /** True when stdout went over the limit and was cut. */
  truncated: boolean;
}

export type StepCallback<T> = (err: Error | null | undefined, value?: T) => void;

export class Session {
  private sftpChannel?: SFTPWrapper;

  constructor(
    readonly target: Target,
    private readonly conn: Connection,
  ) {}

  /** The host key the server proved it holds, one-line OpenSSH without a comment. */
  get hostKey(): string {
    return keyLineOf(this.conn.hostKey);
  }

  get hostKeyBlob(): Buffer {
    return this.conn.hostKey;
  }

  /** False once the connection dropped (a step timed out or the host went away). */
  get connected(): boolean {
    return !this.conn.sock.destroyed && this.conn.lastError === undefined;
  }

  /**
   * Runs one callback-style remote step within the timeout. On expiry the connection is dropped
   * (nothing more can reach the host) and the step fails with 'timeout'; other failures reject
   * with the raw error for the caller to name.
   */
  step<T>(what: string, start: (done: StepCallback<T>) => void): Promise<T> {
    const { endpoint, timeoutMs } = this.target;
    return new Promise<T>((resolve, reject) => {
      let over = false;
      const timer = setTimeout(() => {
        over = true;
        this.conn.sock.destroy();
        reject(new HostError('timeout', `${endpoint} did not answer within ${timeoutMs} ms (${what})`));
      }, timeoutMs);
      const done: StepCallback<T> = (err, value) => {
        if (over) return;
        over = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(value as T);
      };
      try {
        start(done);
      } catch (e) {
        done(e as Error);
      }
    });
  }

  /** The HostError for a failed step: the remote's reason, or the lost connection. */
  failure(what: string, err: unknown): HostError {
    if (err instanceof HostError) return err;
    const lost = this.conn.lastError ?? (this.conn.sock.destroyed ? new Error('connection closed') : undefined);
    const reason = lost ? `the connection was lost (${lost.message})` : (err as Error)?.message ?? String(err);
    return new HostError('remote_failed', `${what} on ${this.target.endpoint} failed: ${oneLine(reason)}`, { cause: err });
  }

  /** Runs `command` through the login shell, with `stdin` fed to it; a non-zero exit is not an error here. */
  async exec(what: string, command: string, stdin?: Buffer): Promise<ExecResult> {
    try {
      return await this.step<ExecResult>(what, (done) => {
        this.conn.client.exec(command, (err, stream) => {
          if (err) return done(err);
          const out: Buffer[] = [];
          const errs: Buffer[] = [];
          let outLen = 0;
          let errLen = 0;
          let code: number | null = null;
          stream.on('data', (d: Buffer) => {
            if (outLen <= OUTPUT_LIMIT) out.push(d);
            outLen += d.length;
          });
          stream.stderr.on('data', (d: Buffer) => {
            if (errLen <= OUTPUT_LIMIT) errs.push(d);
            errLen += d.length;
          });
          stream.on('exit', (c: number | null) => (code = typeof c === 'number' ? c : null));
          stream.on('close', () =>
            done(null, { code, stdout: Buffer.concat(out).subarray(0, OUTPUT_LIMIT), stderr: Buffer.concat(errs).toString('utf8'), truncated: outLen > OUTPUT_LIMIT }),
          );
          stream.end(stdin);
        });
      });
    } catch (e) {
      throw this.failure(what, e);
    }
  }

  /** The session's SFTP channel (opened on first use). */
  async sftp(): Promise<SFTPWrapper> {
    if (!this.sftpChannel) {
      try {
        this.sftpChannel = await this.step<SFTPWrapper>('opening SFTP', (done) => this.conn.client.sftp(done));
      } catch (e) {
        throw this.failure('opening the SFTP subsystem', e);
      }
    }
    return this.sftpChannel;
  }

  async close(): Promise<void> {
    this.sftpChannel?.end();
    await closeConnection(this.conn);
  }
}

/** Logs in, runs `fn` on the session and closes the connection, whatever happens. */
export async function withSession<T>(t: Target, auth: HostAuth, fn: (s: Session) => Promise<T>): Promise<T> {
  const s = new Session(t, await login(t, auth));
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}
