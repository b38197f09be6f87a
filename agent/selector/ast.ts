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

export function canonicalNode(node: Node): string {
  switch (node.op) {
    case 'all':
      return 'all()';
    case 'global':
      return 'global()';
    case 'has':
      return `has(${node.key})`;
    case '==':
    case '!=':
    case 'contains':
    case 'starts with':
    case 'ends with':
      return `${node.key} ${node.op} ${quote(node.value)}`;
    case 'in':
    case 'not in': {
      const vals = [...node.values].sort(compareBytes).map(quote);
      return `${node.key} ${node.op} {${vals.join(', ')}}`;
    }
    case 'not':
      return `!${canonicalNode(node.operand)}`;
    case 'and':
      return `(${node.operands.map(canonicalNode).join(' && ')})`;
    case 'or':
      return `(${node.operands.map(canonicalNode).join(' || ')})`;
  }
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

/** Every restriction a match must satisfy (any one of them is a sound index key). */
export function restrictionsOf(node: Node): LabelRestriction[] {
  switch (node.op) {
    case '==':
      return [{ key: node.key, values: [node.value] }];
    case 'in':
      return [{ key: node.key, values: [...node.values] }];
    case 'has':
    case 'contains':
    case 'starts with':
    case 'ends with':
      return [{ key: node.key }];
    case 'and':
      return node.operands.flatMap(restrictionsOf);
    default:
      return [];
  }
}
