// Error classes for the rule compiler. Callers and tests match on `code`, never on message text.

export type CompilerErrorCode =
  | 'ERR_COMPILER_CONFIG'
  | 'ERR_BAD_MESSAGE'
  | 'ERR_BAD_INTERFACE_NAME'
  | 'ERR_BAD_IPSET_MEMBER'
  | 'ERR_BAD_RULE';

export class CompilerError extends Error {
  readonly code: CompilerErrorCode;
  constructor(code: CompilerErrorCode, message: string) {
    super(message);
    this.name = 'CompilerError';
    this.code = code;
  }
}

/** Invalid CompilerConfig (bad mark mask, bad failsafe port, ...). */
export class CompilerConfigError extends CompilerError {
  constructor(message: string) {
    super('ERR_COMPILER_CONFIG', message);
    this.name = 'CompilerConfigError';
  }
}

/**
 * A ToDataplane message that cannot be compiled safely (for example an interface name that would
 * inject text into iptables-restore input). The message is rejected as a whole and the state is left
 * unchanged.
 */
export class CompilerInputError extends CompilerError {
  /** Which message was rejected, e.g. "workloadEndpointUpdate k8s/default.pod/eth0". */
  readonly subject: string;
  constructor(code: Exclude<CompilerErrorCode, 'ERR_COMPILER_CONFIG'>, subject: string, message: string) {
    super(code, `${subject}: ${message}`);
    this.name = 'CompilerInputError';
    this.subject = subject;
  }
}
