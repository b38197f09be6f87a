// The normal desired-state source: the rule compiler's DataplaneState fed with messages, compiled
// on demand (rules/compiler). A message the compiler rejects is logged and skipped, never fatal.
import type { ToDataplane } from '../dataplane-api/types.js';
import type { DesiredState } from '../model.js';
import { DataplaneState, compile, type CompilerConfig } from '../compiler/index.js';
import { DataplaneError } from '../backend/errors.js';
import type { DesiredStateSource } from './source.js';
import type { DriverLogger } from './logger.js';

export class CompilerSource implements DesiredStateSource {
  readonly state = new DataplaneState();
  private readonly cfg: CompilerConfig;
  private readonly log: DriverLogger;
  /** Messages the compiler rejected (for health/metrics). */
  rejected = 0;

  constructor(cfg: CompilerConfig, log: DriverLogger) {
    this.cfg = cfg;
    this.log = log;
  }

  apply(msgs: readonly ToDataplane[]): void {
    for (const m of msgs) {
      try {
        this.state.apply(m);
      } catch (err) {
        this.rejected++;
        this.log.warn('dataplane message rejected by the compiler', { kind: m.kind, error: String(err) });
      }
    }
  }

  desired(): DesiredState {
    try {
      return compile(this.state, this.cfg);
    } catch (err) {
      throw new DataplaneError('ERR_COMPILE', `compile failed: ${String(err)}`, { cause: err });
    }
  }
}
