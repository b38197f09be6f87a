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

export class DataplaneError extends Error {
  readonly code: DataplaneErrorCode;
  /** The stdin given to the failing command, kept for logging (Felix logs the whole input, §7.3). */
  readonly input: string | undefined;
  readonly exitCode: number | undefined;

  constructor(
    code: DataplaneErrorCode,
    message: string,
    opts: { input?: string; exitCode?: number; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'DataplaneError';
    this.code = code;
    this.input = opts.input;
    this.exitCode = opts.exitCode;
  }
}
