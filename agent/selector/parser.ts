// Recursive-descent parser for the selector grammar of libcalico-go/lib/selector/parser/parser.go.
import {
  canonicalNode,
  evaluateNode,
  restrictionsOf,
  type LabelRestriction,
  type LabelSource,
  type Node,
} from './ast.js';
import { SelectorParseError } from './errors.js';
import { tokenize, type Token } from './tokenizer.js';
import { makeUniqueId } from './unique-id.js';

export class Selector {
  readonly root: Node;
  private canon: string | undefined;
  private uid: string | undefined;
  private restr: LabelRestriction[] | undefined;

  constructor(root: Node) {
    this.root = root;
  }

  /** Evaluates against a Map-like label source or a plain object of labels. */
  evaluate(labels: LabelSource | Readonly<Record<string, string>>): boolean {
    const src: LabelSource =
      typeof (labels as LabelSource).get === 'function'
        ? (labels as LabelSource)
        : {
            get: (k) =>
              Object.prototype.hasOwnProperty.call(labels, k)
                ? (labels as Record<string, string>)[k]
                : undefined,
          };
    return evaluateNode(this.root, src);
  }

  /** Felix's Selector.String() (ast.go). */
  canonical(): string {
    return (this.canon ??= canonicalNode(this.root));
  }

  /** Felix's Selector.UniqueID(): the selector IP set ID (ast.go, libcalico-go/lib/hash/unique_id.go). */
  uniqueId(): string {
    return (this.uid ??= makeUniqueId('s', this.canonical()));
  }

  /** Labels every match must carry (for indexing); empty when none can be derived. */
  labelRestrictions(): readonly LabelRestriction[] {
    return (this.restr ??= restrictionsOf(this.root));
  }

  toString(): string {
    return this.canonical();
  }
}

class Parser {
  private i = 0;
  constructor(
    private readonly text: string,
    private readonly toks: readonly Token[],
  ) {}

  private peek(): Token {
    return this.toks[this.i] as Token;
  }
  private next(): Token {
    return this.toks[this.i++] as Token;
  }
  private fail(tok: Token, what: string): never {
    const found = tok.t === 'eof' ? 'end of input' : `'${tok.t}'`;
    throw new SelectorParseError(
      'ERR_SELECTOR_UNEXPECTED_TOKEN',
      tok.pos,
      this.text,
      `expected ${what}, found ${found}`,
    );
  }

  parseSelector(): Node {
    if (this.peek().t === 'eof') return { op: 'all' };
    const n = this.orExpr();
    const t = this.peek();
    if (t.t !== 'eof') this.fail(t, "'&&', '||' or end of input");
    return n;
  }

  private orExpr(): Node {
    const parts = [this.andExpr()];
    while (this.peek().t === '||') {
      this.next();
      parts.push(this.andExpr());
    }
    return parts.length === 1 ? (parts[0] as Node) : { op: 'or', operands: parts };
  }

  private andExpr(): Node {
    const parts = [this.operation()];
    while (this.peek().t === '&&') {
      this.next();
      parts.push(this.operation());
    }
    return parts.length === 1 ? (parts[0] as Node) : { op: 'and', operands: parts };
  }

  private operation(): Node {
    let negations = 0;
    while (this.peek().t === '!') {
      this.next();
      negations++;
    }
    const p = this.primary();
    return negations % 2 === 1 ? { op: 'not', operand: p } : p;
  }

  private primary(): Node {
    const t = this.next();
    switch (t.t) {
      case 'has':
        return { op: 'has', key: t.v };
      case 'all':
        return { op: 'all' };
      case 'global':
        return { op: 'global' };
      case '(': {
        // Parentheses nest but create no node of their own.
        const inner = this.orExpr();
        const close = this.next();
        if (close.t !== ')') this.fail(close, "')'");
        return inner;
      }
      case 'label':
        return this.comparison(t.v);
      default:
        return this.fail(t, 'a label, has(), all(), global(), ! or (');
    }
  }

  private comparison(key: string): Node {
    const op = this.next();
    switch (op.t) {
      case '==':
      case '!=':
      case 'contains':
      case 'startswith':
      case 'endswith': {
        const v = this.next();
        if (v.t !== 'string') this.fail(v, 'a quoted string');
        const name = op.t === 'startswith' ? 'starts with' : op.t === 'endswith' ? 'ends with' : op.t;
        return { op: name, key, value: v.v };
      }
      case 'in':
      case 'notin': {
        const open = this.next();
        if (open.t !== '{') this.fail(open, "'{'");
        const values = new Set<string>();
        // Empty set and a trailing comma are accepted.
        for (;;) {
          const v = this.next();
          if (v.t === '}') break;
          if (v.t !== 'string') this.fail(v, "a quoted string or '}'");
          values.add(v.v);
          const sep = this.next();
          if (sep.t === '}') break;
          if (sep.t !== ',') this.fail(sep, "',' or '}'");
        }
        return { op: op.t === 'in' ? 'in' : 'not in', key, values };
      }
      default:
        return this.fail(op, 'an operator (==, !=, in, not in, contains, starts with, ends with)');
    }
  }
}

/** Parses a selector; throws SelectorParseError (with .position and .code) on bad input. */
export function parseSelector(text: string): Selector {
  const toks = tokenize(text);
  return new Selector(new Parser(text, toks).parseSelector());
}
