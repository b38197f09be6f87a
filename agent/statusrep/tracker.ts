// Which endpoint status files should exist: Felix's endpoint manager reports a workload "up" once the apply
// that programmed it has finished (felix/dataplane/linux/endpoint_mgr.go calculateWorkloadEndpointStatus,
// sent by status_combiner.go at the end of int_dataplane.go apply()); "down" (not active) or removed
// endpoints have no file (felix/statusrep/status_file_reporter.go). Pure: messages are numbered in the
// order they are handed to the driver, and an apply that programmed everything up to message N makes
// those endpoint changes the desired files. felix-ts has no interface monitor, so "up" is the endpoint's
// state "active" alone (Felix also needs the interface to be oper-up).
import type { ToDataplane } from '../../rules/dataplane-api/types.js';
import { endpointStatus, renderStatus, statusFilename } from './status-file.js';

interface Change {
  readonly seq: number;
  readonly file: string;
  /** The file's content, or undefined: no file. */
  readonly content: string | undefined;
}

export class EndpointStatusTracker {
  private seq = 0;
  private readonly pending: Change[] = [];
  private readonly desired = new Map<string, string>();

  /** Messages in the order the driver receives them. */
  onMessages(msgs: readonly ToDataplane[]): void {
    for (const m of msgs) {
      this.seq++;
      if (m.kind === 'workloadEndpointUpdate') {
        const up = m.endpoint.state === 'active';
        this.pending.push({
          seq: this.seq,
          file: statusFilename(m.id),
          content: up ? renderStatus(endpointStatus(m.endpoint)) : undefined,
        });
      } else if (m.kind === 'workloadEndpointRemove') {
        this.pending.push({ seq: this.seq, file: statusFilename(m.id), content: undefined });
      }
    }
  }

  /** Messages handed over so far. */
  get received(): number {
    return this.seq;
  }

  /** An apply programmed the state made of the first `upTo` messages; returns whether the desired files changed. */
  programmed(upTo: number): boolean {
    let changed = false;
    let done = 0; // one splice at the end: shift() per change would be quadratic on a large snapshot
    for (; done < this.pending.length && (this.pending[done] as Change).seq <= upTo; done++) {
      const c = this.pending[done] as Change;
      const before = this.desired.get(c.file);
      if (c.content === undefined) this.desired.delete(c.file);
      else this.desired.set(c.file, c.content);
      if (before !== c.content) changed = true;
    }
    if (done > 0) this.pending.splice(0, done);
    return changed;
  }

  /** File name -> content of every file that should exist now. */
  files(): ReadonlyMap<string, string> {
    return this.desired;
  }
}
