// Shared scenario harness: a CalcGraph fed KVs and flushed into the model dataplane
// (fake-dataplane.ts), which checks the message-ordering contract as it applies each message.
import { CalcGraph, type CalcLogger } from '../../../../agent/calc/index.js';
import type { KVUpdate } from '../../../../syncer-client/api.js';
import type { ToDataplane } from '../../../../rules/dataplane-api/types.js';
import { FakeDataplane } from './fake-dataplane.js';
import { HOST } from './fixtures.js';

export class RecordingLogger implements CalcLogger {
  readonly lines: Array<{ level: string; msg: string; fields?: object }> = [];
  debug(msg: string, fields?: object): void {
    this.lines.push({ level: 'debug', msg, ...(fields ? { fields } : {}) });
  }
  info(msg: string, fields?: object): void {
    this.lines.push({ level: 'info', msg, ...(fields ? { fields } : {}) });
  }
  warn(msg: string, fields?: object): void {
    this.lines.push({ level: 'warn', msg, ...(fields ? { fields } : {}) });
  }
  error(msg: string, fields?: object): void {
    this.lines.push({ level: 'error', msg, ...(fields ? { fields } : {}) });
  }
}

/** Snapshot, flush, InSync, flush: the graph as the daemon drives it at start. */
export function setup(snapshot: KVUpdate[]): {
  g: CalcGraph;
  dp: FakeDataplane;
  log: RecordingLogger;
  first: ToDataplane[];
} {
  const log = new RecordingLogger();
  const g = new CalcGraph({ hostname: HOST, logger: log });
  const dp = new FakeDataplane();
  g.onUpdates(snapshot);
  const pre = g.flush();
  dp.apply(pre);
  g.onStatus('in-sync');
  const post = g.flush();
  dp.apply(post);
  return { g, dp, log, first: [...pre, ...post] };
}

export function step(g: CalcGraph, dp: FakeDataplane, updates: KVUpdate[]): ToDataplane[] {
  g.onUpdates(updates);
  const out = g.flush();
  dp.apply(out);
  return out;
}

export const WEB = 'prod/web-1/eth0';
export const DB = 'prod/db-1/eth0';
