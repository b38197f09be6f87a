// The logger interface every module takes, and its winston implementation.
// Line format follows Felix's logrusr formatter (felix/logutils/logutils.go):
//   2025-09-10 00:10:06.668 [INFO][63] felix/<component>: message key=value key2="quoted value"
// Felix prints "<file>.go <line>"; we print the component name instead (no source positions in JS).
import winston from 'winston';
import Transport from 'winston-transport';
import type { Writable } from 'node:stream';

export type LogFields = Readonly<Record<string, unknown>>;

/** The interface other modules (syncer client, calc graph, driver) accept. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** A Logger that can make per-component children and change its screen level at run time. */
export interface RootLogger extends Logger {
  child(component: string): Logger;
  setLevel(severity: Severity): void;
  close(): void;
}

/** Felix's severities (felix/config/config_params.go: TRACE, DEBUG, INFO, WARNING, ERROR, FATAL), plus "none". */
export const SEVERITIES = ['TRACE', 'DEBUG', 'INFO', 'WARNING', 'ERROR', 'FATAL', 'PANIC', 'NONE'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type LogFormat = 'text' | 'json';

export interface LoggerOptions {
  /** LogSeverityScreen. */
  readonly severity: Severity;
  readonly format?: LogFormat;
  /** Where screen output goes (default process.stdout). */
  readonly stream?: Writable;
  /** LogFilePath: if set, a second destination filtered by fileSeverity. */
  readonly filePath?: string | undefined;
  readonly fileSeverity?: Severity;
  /** Default component name ("felix"). */
  readonly component?: string;
}

// winston wants numeric priorities, lowest = most severe.
const LEVELS = { panic: 0, fatal: 1, error: 2, warning: 3, info: 4, debug: 5, trace: 6 } as const;
type WinstonLevel = keyof typeof LEVELS;

export function severityToWinston(s: Severity): WinstonLevel | null {
  if (s === 'NONE') return null;
  return s.toLowerCase() as WinstonLevel;
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** Local time with milliseconds and no zone, as Felix prints it. */
export function felixTimestamp(d: Date): string {
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  );
}

/** Renders one field value: bare when it is a simple token, otherwise JSON-quoted (like Go's %q). */
export function renderFieldValue(v: unknown): string {
  if (v instanceof Error) return JSON.stringify(v.message);
  if (typeof v === 'string') return /^[A-Za-z0-9_.:/@+-]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === null || v === undefined) return '<nil>';
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  } catch {
    return JSON.stringify(String(v));
  }
}

/** Renders a Felix-style text line (exported for tests). Fields are sorted by key, as logrus does. */
export function formatTextLine(
  time: Date,
  level: string,
  pid: number,
  component: string,
  msg: string,
  fields: LogFields,
): string {
  const lvl = level.toUpperCase();
  const keys = Object.keys(fields)
    .filter((k) => fields[k] !== undefined)
    .sort();
  // Messages never carry raw newlines into the log: one event = one line (grep-friendly).
  const safeMsg = msg.replace(/\r?\n/g, '\\n');
  let line = `${felixTimestamp(time)} [${lvl}][${pid}] ${component}: ${safeMsg}`;
  for (const k of keys) line += ` ${k}=${renderFieldValue(fields[k])}`;
  return line;
}

const FIELDS = Symbol('fields');
const COMPONENT = Symbol('component');

interface Info extends winston.Logform.TransformableInfo {
  [FIELDS]?: LogFields;
  [COMPONENT]?: string;
}

function textFormat(): winston.Logform.Format {
  return winston.format.printf((info) => {
    const i = info as Info;
    return formatTextLine(
      new Date(),
      i.level,
      process.pid,
      i[COMPONENT] ?? 'felix',
      String(i.message),
      i[FIELDS] ?? {},
    );
  });
}

function jsonFormat(): winston.Logform.Format {
  return winston.format.printf((info) => {
    const i = info as Info;
    const out: Record<string, unknown> = {
      time: new Date().toISOString(),
      level: i.level,
      component: i[COMPONENT] ?? 'felix',
      msg: String(i.message),
    };
    const f = i[FIELDS] ?? {};
    for (const k of Object.keys(f).sort()) {
      const v = f[k];
      out[k] = v instanceof Error ? v.message : v;
    }
    return JSON.stringify(out, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  });
}

/**
 * Process-wide counts behind Felix's felix_log_errors and felix_logs_dropped (felix/logutils/logutils.go):
 * errors are failed writes to a destination and lines that could not be formatted; dropped are screen
 * lines not written because the destination had failed.
 */
export const logStats = { errors: 0, dropped: 0 };

/** A winston transport writing lines to any Writable (so tests can capture output). */
class LineTransport extends Transport {
  /** Set once the destination failed (stdout piped into a reader that exited: EPIPE). */
  private broken = false;
  constructor(
    private readonly out: Writable,
    opts: Transport.TransportStreamOptions,
  ) {
    super(opts);
    // Without a listener a write error on the stream is an uncaught exception, which the daemon
    // logs, which writes again: a busy loop. A broken screen destination is dropped for good;
    // the daemon (and a log file, if configured) carries on.
    out.on('error', () => {
      logStats.errors++;
      this.broken = true;
    });
  }
  override log(info: Info, next: () => void): void {
    if (!this.broken && !this.out.destroyed) {
      const line = (info as unknown as Record<symbol, unknown>)[Symbol.for('message')];
      this.out.write(String(line) + '\n');
    } else {
      logStats.dropped++;
    }
    next();
  }
}

export function createLogger(opts: LoggerOptions): RootLogger {
  const format = opts.format === 'json' ? jsonFormat() : textFormat();
  const screenLevel = severityToWinston(opts.severity);
  const screen = new LineTransport(opts.stream ?? process.stdout, {
    level: screenLevel ?? 'panic',
    silent: screenLevel === null,
  });
  const transports: Transport[] = [screen];
  if (opts.filePath) {
    const fileLevel = severityToWinston(opts.fileSeverity ?? 'INFO');
    if (fileLevel !== null) {
      transports.push(new winston.transports.File({ filename: opts.filePath, level: fileLevel }));
    }
  }
  const w = winston.createLogger({ levels: LEVELS, level: 'trace', format, transports, exitOnError: false });
  // A broken destination must never kill the daemon.
  w.on('error', () => {
    logStats.errors++;
  });

  const make = (component: string): Logger => {
    const emit = (level: WinstonLevel, msg: string, fields?: LogFields): void => {
      try {
        w.log({
          level,
          message: msg,
          [FIELDS]: fields ?? {},
          [COMPONENT]: component,
        } as unknown as winston.LogEntry);
      } catch {
        // Logging must not throw into callers.
        logStats.errors++;
      }
    };
    return {
      debug: (m, f) => emit('debug', m, f),
      info: (m, f) => emit('info', m, f),
      warn: (m, f) => emit('warning', m, f),
      error: (m, f) => emit('error', m, f),
    };
  };
  const root = make(opts.component ?? 'felix');
  return {
    ...root,
    child: (c) => make(`${opts.component ?? 'felix'}/${c}`),
    setLevel: (s) => {
      const l = severityToWinston(s);
      screen.silent = l === null;
      screen.level = l ?? 'panic';
    },
    close: () => w.close(),
  };
}

/** A logger that drops everything. */
export const nullLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export interface RecordedLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly msg: string;
  readonly fields: LogFields;
}

/** A logger that keeps lines in memory (tests, and the demo's summary). */
export function memoryLogger(): Logger & { readonly lines: RecordedLine[] } {
  const lines: RecordedLine[] = [];
  const rec =
    (level: RecordedLine['level']) =>
    (msg: string, fields?: LogFields): void => {
      lines.push({ level, msg, fields: fields ?? {} });
    };
  return { lines, debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') };
}
