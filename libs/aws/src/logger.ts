/** JSON-lines logger. Callers pass ids and figures only; never keys, secrets or bodies. */
import type { Logger } from '@vigil/core';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LEVELS;

/** A VIGIL_LOG_LEVEL as given, or `info` for none or one that is no level (the config check says so). */
export const logLevelOf = (value: unknown): LogLevel =>
  typeof value === 'string' && value in LEVELS ? (value as LogLevel) : 'info';

export const createLogger = (
  level: LogLevel,
  base: Record<string, unknown> = {},
  write = (line: string) => process.stdout.write(`${line}\n`),
): Logger => {
  const emit = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[lvl] < LEVELS[level]) return;
    write(JSON.stringify({ level: lvl, time: new Date().toISOString(), msg, ...base, ...fields }));
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
  };
};
