// Public surface of the selector language (libcalico-go/lib/selector).
export { parseSelector, Selector } from './parser.js';
export { SelectorParseError, type SelectorErrorCode } from './errors.js';
export { compareBytes, type LabelSource, type LabelRestriction, type Node as SelectorNode } from './ast.js';
export { makeUniqueId, namedPortSetId } from './unique-id.js';
