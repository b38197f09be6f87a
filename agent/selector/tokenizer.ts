// Lexer for the Calico selector language (felix-datamodel-and-calc.md §4.1).
import { SelectorParseError } from './errors.js';

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
  // §4.1: only space and TAB are whitespace; a newline is an error.
  return c === 0x20 || c === 0x09;
}

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  const n = text.length;
  let i = 0;

  const skipSpace = (): void => {
    while (i < n && isSpace(text.charCodeAt(i))) i++;
  };
  const readLabel = (): string => {
    const start = i;
    while (i < n && isIdentChar(text.charCodeAt(i))) i++;
    if (i === start) {
      throw new SelectorParseError('ERR_SELECTOR_UNEXPECTED_CHAR', i, text, 'expected a label');
    }
    if (i - start > MAX_LABEL) {
      throw new SelectorParseError(
        'ERR_SELECTOR_LABEL_TOO_LONG',
        start,
        text,
        `label longer than ${MAX_LABEL} characters`,
      );
    }
    return text.slice(start, i);
  };
  // Matches `word` at i, followed by a non-identifier char or the end; returns the end offset or -1.
  const matchWord = (at: number, word: string): number => {
    if (!text.startsWith(word, at)) return -1;
    const end = at + word.length;
    return end;
  };
  const wordBoundary = (end: number): boolean => end >= n || !isIdentChar(text.charCodeAt(end));
  // Two-word operators allow any run of spaces/tabs between the words, including none.
  const matchTwoWords = (at: number, w1: string, w2: string): number => {
    let j = matchWord(at, w1);
    if (j < 0) return -1;
    while (j < n && isSpace(text.charCodeAt(j))) j++;
    const k = matchWord(j, w2);
    if (k < 0 || !wordBoundary(k)) return -1;
    return k;
  };
  // Operator words are recognised only straight after a label (§4.1).
  const readOperatorAfterLabel = (): void => {
    skipSpace();
    const pos = i;
    let end: number;
    if ((end = matchTwoWords(i, 'not', 'in')) >= 0) {
      out.push({ t: 'notin', pos });
    } else if ((end = matchWord(i, 'in')) >= 0 && wordBoundary(end)) {
      out.push({ t: 'in', pos });
    } else if ((end = matchWord(i, 'contains')) >= 0 && wordBoundary(end)) {
      out.push({ t: 'contains', pos });
    } else if ((end = matchTwoWords(i, 'starts', 'with')) >= 0) {
      out.push({ t: 'startswith', pos });
    } else if ((end = matchTwoWords(i, 'ends', 'with')) >= 0) {
      out.push({ t: 'endswith', pos });
    } else {
      return;
    }
    i = end;
  };

  for (;;) {
    skipSpace();
    if (i >= n) break;
    const pos = i;
    const c = text[i];
    switch (c) {
      case '(':
        out.push({ t: '(', pos });
        i++;
        continue;
      case ')':
        out.push({ t: ')', pos });
        i++;
        continue;
      case '{':
        out.push({ t: '{', pos });
        i++;
        continue;
      case '}':
        out.push({ t: '}', pos });
        i++;
        continue;
      case ',':
        out.push({ t: ',', pos });
        i++;
        continue;
      case '=':
        if (text[i + 1] === '=') {
          out.push({ t: '==', pos });
          i += 2;
          continue;
        }
        throw new SelectorParseError('ERR_SELECTOR_UNEXPECTED_CHAR', pos, text, "single '=' (use '==')");
      case '!':
        if (text[i + 1] === '=') {
          out.push({ t: '!=', pos });
          i += 2;
        } else {
          out.push({ t: '!', pos });
          i++;
        }
        continue;
      case '&':
        if (text[i + 1] === '&') {
          out.push({ t: '&&', pos });
          i += 2;
          continue;
        }
        throw new SelectorParseError('ERR_SELECTOR_UNEXPECTED_CHAR', pos, text, "single '&' (use '&&')");
      case '|':
        if (text[i + 1] === '|') {
          out.push({ t: '||', pos });
          i += 2;
          continue;
        }
        throw new SelectorParseError('ERR_SELECTOR_UNEXPECTED_CHAR', pos, text, "single '|' (use '||')");
      case '"':
      case "'": {
        // §4.1: no escapes; a string cannot contain its own quote character.
        const close = text.indexOf(c, i + 1);
        if (close < 0) {
          throw new SelectorParseError('ERR_SELECTOR_UNTERMINATED_STRING', pos, text, 'unterminated string');
        }
        out.push({ t: 'string', v: text.slice(i + 1, close), pos });
        i = close + 1;
        continue;
      }
      default:
        break;
    }
    // Function-like tokens are recognised only as exact prefixes, "(" straight after the word.
    if (text.startsWith('has(', i)) {
      i += 4;
      skipSpace();
      const label = readLabel();
      skipSpace();
      if (text[i] !== ')') {
        throw new SelectorParseError('ERR_SELECTOR_BAD_FUNCTION', i, text, "expected ')' to close has(");
      }
      i++;
      out.push({ t: 'has', v: label, pos });
      continue;
    }
    if (text.startsWith('all(', i) || text.startsWith('global(', i)) {
      const isAll = text.startsWith('all(', i);
      i += isAll ? 4 : 7;
      skipSpace();
      if (text[i] !== ')') {
        throw new SelectorParseError(
          'ERR_SELECTOR_BAD_FUNCTION',
          i,
          text,
          `expected ')' after ${isAll ? 'all(' : 'global('}`,
        );
      }
      i++;
      out.push({ t: isAll ? 'all' : 'global', pos });
      continue;
    }
    if (isIdentChar(text.charCodeAt(i))) {
      const label = readLabel();
      out.push({ t: 'label', v: label, pos });
      readOperatorAfterLabel();
      continue;
    }
    throw new SelectorParseError(
      'ERR_SELECTOR_UNEXPECTED_CHAR',
      pos,
      text,
      `unexpected character ${JSON.stringify(c)}`,
    );
  }
  out.push({ t: 'eof', pos: n });
  return out;
}
