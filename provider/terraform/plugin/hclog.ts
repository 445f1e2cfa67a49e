/**
 * Plugin logs as hclog JSON lines on stderr, the form go-plugin's client parses (`@level`,
 * `@message`, `@timestamp` with microseconds, `@module`, other keys as key/value pairs) and
 * Terraform files under TF_LOG_PROVIDER. The level comes from TF_LOG_PROVIDER, else TF_LOG; with
 * neither (or OFF) nothing is written, as Terraform would discard it.
 */

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
const ORDER: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];

export interface Logger {
  readonly level: LogLevel | 'off';
  enabled(level: LogLevel): boolean;
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  trace(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** TF_LOG_PROVIDER, else TF_LOG: TRACE, DEBUG, INFO, WARN, ERROR (any case), JSON (= trace); anything else off. */
export function logLevelFromEnv(env: Readonly<Record<string, string | undefined>>): LogLevel | 'off' {
  const raw = (env.TF_LOG_PROVIDER || env.TF_LOG || '').trim().toLowerCase();
  if (raw === 'json') return 'trace';
  return (ORDER as readonly string[]).includes(raw) ? (raw as LogLevel) : 'off';
}

/** hclog's time layout "2006-01-02T15:04:05.000000Z07:00" in UTC. */
export function hclogTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** One JSON line; fields that clash with the @ keys are left out. */
export function hclogLine(level: LogLevel, module: string, message: string, fields: Record<string, unknown> = {}, now = Date.now()): string {
  const entry: Record<string, unknown> = { '@level': level, '@message': message, '@module': module, '@timestamp': hclogTimestamp(now) };
  for (const [k, v] of Object.entries(fields)) if (!(k in entry)) entry[k] = v instanceof Error ? v.message : v;
  return JSON.stringify(entry) + '\n';
}

export function createLogger(opts: { level: LogLevel | 'off'; module: string; write: (line: string) => void; now?: () => number }): Logger {
  const min = opts.level === 'off' ? ORDER.length : ORDER.indexOf(opts.level);
  const enabled = (level: LogLevel) => ORDER.indexOf(level) >= min;
  const log = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (enabled(level)) opts.write(hclogLine(level, opts.module, message, fields, (opts.now ?? Date.now)()));
  };
  return {
    level: opts.level,
    enabled,
    log,
    trace: (m, f) => log('trace', m, f),
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
  };
}
