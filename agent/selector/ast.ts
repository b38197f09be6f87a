// Selector syntax tree, its evaluation (libcalico-go/lib/selector/parser/ast.go) and its canonical string.

/** Anything labels can be looked up in: a Map, or an endpoint's merged (own + inherited) labels. */
export interface LabelSource {
  get(key: string): string | undefined;
}

export type Node =
  | { readonly op: 'all' }
  | { readonly op: 'global' }
  | { readonly op: 'has'; readonly key: string }
  | {
      readonly op: '==' | '!=' | 'contains' | 'starts with' | 'ends with';
      readonly key: string;
      readonly value: string;
    }
  | { readonly op: 'in' | 'not in'; readonly key: string; readonly values: ReadonlySet<string> }
  | { readonly op: 'not'; readonly operand: Node }
  | { readonly op: 'and' | 'or'; readonly operands: readonly Node[] };

export function evaluateNode(node: Node, labels: LabelSource): boolean {
  switch (node.op) {
    case 'all':
    case 'global':
      return true;
    case 'has':
      return labels.get(node.key) !== undefined;
    case '==':
      return labels.get(node.key) === node.value;
    case '!=':
      return labels.get(node.key) !== node.value;
    case 'contains': {
      const v = labels.get(node.key);
      return v !== undefined && v.includes(node.value);
    }
    case 'starts with': {
      const v = labels.get(node.key);
      return v !== undefined && v.startsWith(node.value);
    }
    case 'ends with': {
      const v = labels.get(node.key);
      return v !== undefined && v.endsWith(node.value);
    }
    case 'in': {
      const v = labels.get(node.key);
      return v !== undefined && node.values.has(v);
    }
    case 'not in': {
      const v = labels.get(node.key);
      return v === undefined || !node.values.has(v);
    }
    case 'not':
      return !evaluateNode(node.operand, labels);
    case 'and':
      for (const o of node.operands) if (!evaluateNode(o, labels)) return false;
      return true;
    case 'or':
      for (const o of node.operands) if (evaluateNode(o, labels)) return true;
      return false;
  }
}

/** Selector.String(): double quotes unless the value contains one, then single quotes. */
function quote(v: string): string {
  return v.includes('"') ? `'${v}'` : `"${v}"`;
}

function isSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdfff;
}

/**
 * Byte-order comparison (Go sorts strings by UTF-8 bytes). Outside surrogates, UTF-16 code units
 * order like UTF-8 bytes, so only a first difference at a surrogate needs encoding (-1 = end).
 */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  const x = i < a.length ? a.charCodeAt(i) : -1;
  const y = i < b.length ? b.charCodeAt(i) : -1;
  if (!isSurrogate(x) && !isSurrogate(y)) return x < y ? -1 : 1;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** A leaf's text (Felix's collectFragments of one node). */
function leafText(node: Node): string {
  switch (node.op) {
    case 'all':
      return 'all()';
    case 'global':
      return 'global()';
    case 'has':
      return `has(${node.key})`;
    case 'in':
    case 'not in': {
      const vals = [...node.values].sort(compareBytes).map(quote);
      return `${node.key} ${node.op} {${vals.join(', ')}}`;
    }
    case 'not':
    case 'and':
    case 'or':
      throw new Error(`leafText of ${node.op}`);
    default:
      return `${node.key} ${node.op} ${quote(node.value)}`;
  }
}

/**
 * Selector.String() (ast.go collectFragments): fragments are emitted from an explicit work list, so any
 * nesting depth works and the text is joined once.
 */
export function canonicalNode(root: Node): string {
  const out: string[] = [];
  const todo: (Node | string)[] = [root];
  while (todo.length > 0) {
    const x = todo.pop() as Node | string;
    if (typeof x === 'string') out.push(x);
    else if (x.op === 'not') {
      out.push('!');
      todo.push(x.operand);
    } else if (x.op === 'and' || x.op === 'or') {
      const sep = x.op === 'and' ? ' && ' : ' || ';
      out.push('(');
      todo.push(')');
      for (let i = x.operands.length - 1; i >= 0; i--) {
        todo.push(x.operands[i] as Node);
        if (i > 0) todo.push(sep);
      }
    } else out.push(leafText(x));
  }
  return out.join('');
}

/** evaluateNode without recursion, for trees deeper than the call stack allows (no short-circuit). */
export function evaluateDeep(root: Node, labels: LabelSource): boolean {
  interface Frame {
    readonly node: Node;
    readonly kids: readonly Node[];
    readonly out: boolean[];
  }
  const kidsOf = (n: Node): readonly Node[] =>
    n.op === 'not' ? [n.operand] : n.op === 'and' || n.op === 'or' ? n.operands : [];
  const stack: Frame[] = [{ node: root, kids: kidsOf(root), out: [] }];
  let result = false;
  while (stack.length > 0) {
    const f = stack[stack.length - 1] as Frame;
    if (f.out.length < f.kids.length) {
      const c = f.kids[f.out.length] as Node;
      stack.push({ node: c, kids: kidsOf(c), out: [] });
      continue;
    }
    stack.pop();
    const n = f.node;
    const v =
      n.op === 'not'
        ? !f.out[0]
        : n.op === 'and'
          ? f.out.every(Boolean)
          : n.op === 'or'
            ? f.out.some(Boolean)
            : evaluateNode(n, labels);
    if (stack.length > 0) (stack[stack.length - 1] as Frame).out.push(v);
    else result = v;
  }
  return result;
}

/**
 * A label that every match must carry, used by the calculation's label index to find
 * candidates without evaluating every selector (felix/labelindex). `values` set ⇒ the label must take one
 * of those values (an empty list means nothing can match).
 */
export interface LabelRestriction {
  readonly key: string;
  readonly values?: readonly string[];
}

/**
 * Every restriction a match must satisfy (any one of them is a sound index key): those of the leaves
 * reachable through "&&" only, in order, found without recursion.
 */
export function restrictionsOf(root: Node): LabelRestriction[] {
  const out: LabelRestriction[] = [];
  const todo: Node[] = [root];
  while (todo.length > 0) {
    const node = todo.pop() as Node;
    switch (node.op) {
      case '==':
        out.push({ key: node.key, values: [node.value] });
        break;
      case 'in':
        out.push({ key: node.key, values: [...node.values] });
        break;
      case 'has':
      case 'contains':
      case 'starts with':
      case 'ends with':
        out.push({ key: node.key });
        break;
      case 'and':
        for (let i = node.operands.length - 1; i >= 0; i--) todo.push(node.operands[i] as Node);
        break;
      default:
        break;
    }
  }
  return out;
}
