// Error classes for the dataplane writers. Callers and tests match on `code`, never on text.

export type DataplaneErrorCode =
  | 'ERR_COMMAND_FAILED'
  | 'ERR_COMMAND_NOT_FOUND'
  | 'ERR_COMMAND_TIMEOUT'
  | 'ERR_IPTABLES_SAVE'
  | 'ERR_IPTABLES_RESTORE'
  | 'ERR_IPTABLES_LOCK_TIMEOUT'
  | 'ERR_NFT_INCOMPATIBLE'
  | 'ERR_IPSET_READ'
  | 'ERR_IPSET_RESTORE'
  | 'ERR_IPSET_DESTROY'
  | 'ERR_UNSAFE_RESTORE_TEXT'
  | 'ERR_BAD_DESIRED_STATE'
  | 'ERR_COMPILE'
  | 'ERR_BACKEND_DETECT';

const MAX_MESSAGE = 4096;

export class DataplaneError extends Error {
  readonly code: DataplaneErrorCode;
  /** The stdin given to the failing command. Log only a bounded excerpt of it, never all of it. */
  readonly input: string | undefined;
  readonly exitCode: number | undefined;
  /** The command's whole stderr (the message carries a bounded copy). */
  readonly stderr: string | undefined;

  constructor(
    code: DataplaneErrorCode,
    message: string,
    opts: { input?: string; exitCode?: number; stderr?: string; cause?: unknown } = {},
  ) {
    // Messages end up in logs and readiness detail: never more than a few KiB.
    super(
      message.length > MAX_MESSAGE
        ? `${message.slice(0, MAX_MESSAGE)}… (${message.length} bytes in all)`
        : message,
      opts.cause === undefined ? undefined : { cause: opts.cause },
    );
    this.name = 'DataplaneError';
    this.code = code;
    this.input = opts.input;
    this.exitCode = opts.exitCode;
    this.stderr = opts.stderr;
  }
}
