// A DataplaneRunner (agent/daemon/dataplane.ts) on its own, for tests: no syncer, no calc, a quiet
// logger and metrics; `makeDataplane` is the test's.
import { PassThrough } from 'node:stream';
import { DataplaneRunner } from '../../../../agent/daemon/dataplane.js';
import type { Dataplane } from '../../../../agent/daemon/deps.js';
import { newStatus } from '../../../../agent/daemon/status.js';
import { createLogger } from '../../../../agent/log/index.js';
import { AgentMetrics } from '../../../../agent/metrics/index.js';

export function dataplaneRunner(makeDataplane: () => Dataplane): DataplaneRunner {
  return new DataplaneRunner({
    deps: {
      makeSyncer: () => {
        throw new Error('unused');
      },
      makeCalc: () => {
        throw new Error('unused');
      },
      makeDataplane,
    },
    logger: createLogger({ severity: 'WARNING', stream: new PassThrough() }),
    status: newStatus(0),
    metrics: new AgentMetrics({
      hostname: 'h',
      now: () => 0,
      calc: () => undefined,
      dataplane: () => undefined,
    }),
    now: () => 0,
    changed: () => {},
  });
}
