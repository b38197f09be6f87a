// Lexer for the Calico selector language (libcalico-go/lib/selector/tokenizer/tokenizer.go).
import { SelectorParseError, type SelectorErrorCode } from './errors.js';

export type Token =
  | { readonly t: 'label'; readonly v: string; readonly pos: number }
  | { readonly t: 'string'; readonly v: string; readonly pos: number }
  | { readonly t: 'has'; readonly v: string; readonly pos: number }
  | {
      readonly t:
        | 'all'
        | 'global'
        | '('
        | ')'
        | '{'
        | '}'
        | ','
        | '=='
        | '!='
        | '!'
        | '&&'
        | '||'
        | 'in'
        | 'notin'
        | 'contains'
        | 'startswith'
        | 'endswith'
        | 'eof';
      readonly pos: number;
    };

const MAX_LABEL = 512;

function isIdentChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x5f || // _
    c === 0x2e || // .
    c === 0x2f || // /
    c === 0x2d // -
  );
}

function isSpace(c: number): boolean {
  // Only space and TAB are whitespace; a newline is an error.
  return c === 0x20 || c === 0x09;
}

type SimpleKind = Exclude<Token['t'], 'label' | 'string' | 'has'>;

// Single-character punctuation tokens.
const PUNCT: ReadonlyMap<string, SimpleKind> = new Map<string, SimpleKind>([
  ['(', '('],
  [')', ')'],
  ['{', '{'],
  ['}', '}'],
  [',', ','],
]);

// One method per token kind; each method consumes input at `i` and pushes onto `out`, or returns
// false when the input at `i` is not of its kind.
class Lexer {
  private readonly out: Token[] = [];
  private readonly n: number;
  private i = 0;

  constructor(private readonly text: string) {
    this.n = text.length;
  }

  run(): Token[] {
    for (;;) {
      this.skipSpace();
      if (this.i >= this.n) break;
      if (this.punct() || this.operator() || this.quoted() || this.func() || this.label()) continue;
      throw this.error(
        'ERR_SELECTOR_UNEXPECTED_CHAR',
        this.i,
        `unexpected character ${JSON.stringify(this.text[this.i])}`,
      );
    }
    this.out.push({ t: 'eof', pos: this.n });
    return this.out;
  }

  private error(code: SelectorErrorCode, pos: number, msg: string): SelectorParseError {
    return new SelectorParseError(code, pos, this.text, msg);
  }

  private emit(t: SimpleKind, pos: number, len: number): true {
    this.out.push({ t, pos });
    this.i = pos + len;
    return true;
  }

  private skipSpace(): void {
    while (this.i < this.n && isSpace(this.text.charCodeAt(this.i))) this.i++;
  }

  private punct(): boolean {
    const t = PUNCT.get(this.text[this.i]!);
    return t !== undefined && this.emit(t, this.i, 1);
  }

  // `==`, `!=`, `!`, `&&`, `||`; a lone `=`, `&` or `|` is an error.
  private operator(): boolean {
    const pos = this.i;
    const c = this.text[pos];
    const next = this.text[pos + 1];
    switch (c) {
      case '=':
        if (next === '=') return this.emit('==', pos, 2);
        throw this.error('ERR_SELECTOR_UNEXPECTED_CHAR', pos, "single '=' (use '==')");
      case '!':
        return next === '=' ? this.emit('!=', pos, 2) : this.emit('!', pos, 1);
      case '&':
        if (next === '&') return this.emit('&&', pos, 2);
        throw this.error('ERR_SELECTOR_UNEXPECTED_CHAR', pos, "single '&' (use '&&')");
      case '|':
        if (next === '|') return this.emit('||', pos, 2);
        throw this.error('ERR_SELECTOR_UNEXPECTED_CHAR', pos, "single '|' (use '||')");
      default:
        return false;
    }
  }

  // No escapes; a string cannot contain its own quote character.
  private quoted(): boolean {
    const pos = this.i;
    const c = this.text[pos]!;
    if (c !== '"' && c !== "'") return false;
    const close = this.text.indexOf(c, pos + 1);
    if (close < 0) throw this.error('ERR_SELECTOR_UNTERMINATED_STRING', pos, 'unterminated string');
    this.out.push({ t: 'string', v: this.text.slice(pos + 1, close), pos });
    this.i = close + 1;
    return true;
  }

  // Function-like tokens are recognised only as exact prefixes, "(" straight after the word.
  private func(): boolean {
    const pos = this.i;
    const text = this.text;
    if (text.startsWith('has(', pos)) {
      this.i += 4;
      this.skipSpace();
      const label = this.readLabel();
      this.skipSpace();
      if (text[this.i] !== ')') {
        throw this.error('ERR_SELECTOR_BAD_FUNCTION', this.i, "expected ')' to close has(");
      }
      this.i++;
      this.out.push({ t: 'has', v: label, pos });
      return true;
    }
    const isAll = text.startsWith('all(', pos);
    if (!isAll && !text.startsWith('global(', pos)) return false;
    this.i += isAll ? 4 : 7;
    this.skipSpace();
    if (text[this.i] !== ')') {
      throw this.error(
        'ERR_SELECTOR_BAD_FUNCTION',
        this.i,
        `expected ')' after ${isAll ? 'all(' : 'global('}`,
      );
    }
    this.out.push({ t: isAll ? 'all' : 'global', pos });
    this.i++;
    return true;
  }

  private label(): boolean {
    if (!isIdentChar(this.text.charCodeAt(this.i))) return false;
    const pos = this.i;
    this.out.push({ t: 'label', v: this.readLabel(), pos });
    this.operatorWord();
    return true;
  }

  private readLabel(): string {
    const start = this.i;
    while (this.i < this.n && isIdentChar(this.text.charCodeAt(this.i))) this.i++;
    if (this.i === start) throw this.error('ERR_SELECTOR_UNEXPECTED_CHAR', this.i, 'expected a label');
    if (this.i - start > MAX_LABEL) {
      throw this.error('ERR_SELECTOR_LABEL_TOO_LONG', start, `label longer than ${MAX_LABEL} characters`);
    }
    return this.text.slice(start, this.i);
  }

  // Operator words are recognised only straight after a label.
  private operatorWord(): void {
    this.skipSpace();
    const pos = this.i;
    const end =
      this.twoWords(pos, 'not', 'in', 'notin') ??
      this.oneWord(pos, 'in', 'in') ??
      this.oneWord(pos, 'contains', 'contains') ??
      this.twoWords(pos, 'starts', 'with', 'startswith') ??
      this.twoWords(pos, 'ends', 'with', 'endswith');
    if (end !== undefined) this.i = end;
  }

  private wordBoundary(end: number): boolean {
    return end >= this.n || !isIdentChar(this.text.charCodeAt(end));
  }

  // `word` at `at` followed by a non-identifier char or the end: pushes `t`, returns the end offset.
  private oneWord(at: number, word: string, t: SimpleKind): number | undefined {
    if (!this.text.startsWith(word, at) || !this.wordBoundary(at + word.length)) return undefined;
    this.out.push({ t, pos: at });
    return at + word.length;
  }

  // Two-word operators allow any run of spaces/tabs between the words, including none.
  private twoWords(at: number, w1: string, w2: string, t: SimpleKind): number | undefined {
    if (!this.text.startsWith(w1, at)) return undefined;
    let j = at + w1.length;
    while (j < this.n && isSpace(this.text.charCodeAt(j))) j++;
    if (!this.text.startsWith(w2, j) || !this.wordBoundary(j + w2.length)) return undefined;
    this.out.push({ t, pos: at });
    return j + w2.length;
  }
}

export function tokenize(text: string): Token[] {
  return new Lexer(text).run();
}
