// Parser (explicit stack, no recursion) for the selector grammar of libcalico-go/lib/selector/parser/parser.go.
import {
  canonicalNode,
  evaluateDeep,
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

  /** deep: nested beyond what recursive evaluation may safely do (evaluateDeep is used instead). */
  constructor(
    root: Node,
    private readonly deep = false,
  ) {
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
    return this.deep ? evaluateDeep(this.root, src) : evaluateNode(this.root, src);
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

/** An open parenthesis (or the whole selector): its "||" operands so far and the current "&&" run. */
interface Group {
  readonly negated: boolean;
  readonly or: Node[];
  and: Node[];
}

/** One operand stands for itself, as in parser.go; two or more make an AndNode/OrNode. */
function joined(op: 'and' | 'or', parts: Node[]): Node {
  return parts.length === 1 ? (parts[0] as Node) : { op, operands: parts };
}

/** Parenthesis depth above which a selector is evaluated without recursion. */
const DEEP = 200;

class Parser {
  private i = 0;
  /** The deepest parenthesis nesting seen. */
  maxDepth = 0;
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

  /**
   * selector := orExpr EOF. Parsed with an explicit stack of open parentheses instead of recursion, so
   * that nesting depth is bounded by memory, not by the JS call stack (Calico accepts selectors nested
   * tens of thousands deep). Grammar and tree as parser.go: "||" of "&&" of operations; an operation is
   * a run of "!" (collapsed to one NotNode when odd) before a primary; parentheses make no node.
   */
  parseSelector(): Node {
    if (this.peek().t === 'eof') return { op: 'all' };
    const stack: Group[] = [{ negated: false, or: [], and: [] }];
    for (;;) {
      // An operation: leading "!"s, then a primary or an opening parenthesis.
      let negated = false;
      while (this.peek().t === '!') {
        this.next();
        negated = !negated;
      }
      if (this.peek().t === '(') {
        this.next();
        stack.push({ negated, or: [], and: [] });
        if (stack.length > this.maxDepth) this.maxDepth = stack.length;
        continue;
      }
      let node = this.primary();
      if (negated) node = { op: 'not', operand: node };
      // After an operand: "&&" or "||" continue the innermost group; anything else closes it.
      for (;;) {
        const top = stack[stack.length - 1] as Group;
        top.and.push(node);
        const t = this.peek();
        if (t.t === '&&') {
          this.next();
          break;
        }
        if (t.t === '||') {
          this.next();
          top.or.push(joined('and', top.and));
          top.and = [];
          break;
        }
        top.or.push(joined('and', top.and));
        const value = joined('or', top.or);
        if (stack.length === 1) {
          if (t.t !== 'eof') this.fail(t, "'&&', '||' or end of input");
          return value;
        }
        const close = this.next();
        if (close.t !== ')') this.fail(close, "')'");
        stack.pop();
        node = top.negated ? { op: 'not', operand: value } : value;
      }
    }
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
  const p = new Parser(text, toks);
  const root = p.parseSelector();
  return new Selector(root, p.maxDepth > DEEP);
}
