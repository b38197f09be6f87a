// Selector parse errors carry the byte offset into the selector text (offsets as in libcalico-go/lib/selector/tokenizer/tokenizer.go).

export type SelectorErrorCode =
  | 'ERR_SELECTOR_UNEXPECTED_CHAR'
  | 'ERR_SELECTOR_UNTERMINATED_STRING'
  | 'ERR_SELECTOR_LABEL_TOO_LONG'
  | 'ERR_SELECTOR_UNEXPECTED_TOKEN'
  | 'ERR_SELECTOR_BAD_FUNCTION';

export class SelectorParseError extends Error {
  readonly code: SelectorErrorCode;
  /** 0-based offset into the selector text where parsing failed. */
  readonly position: number;
  readonly selector: string;

  constructor(code: SelectorErrorCode, position: number, selector: string, detail: string) {
    super(`invalid selector at position ${position}: ${detail}`);
    this.name = 'SelectorParseError';
    this.code = code;
    this.position = position;
    this.selector = selector;
  }
}
