// Path segment escaping of key names (libcalico-go/lib/backend/model/name.go escapeName).

/** `%` → `%25`, then `/` → `%2f`. */
export function escapeName(s: string): string {
  return s.replace(/%/g, '%25').replace(/\//g, '%2f');
}

/** `%2f` → `/`, then `%25` → `%` (the order Felix uses). */
export function unescapeName(s: string): string {
  if (!s.includes('%')) return s;
  return s.replaceAll('%2f', '/').replaceAll('%25', '%');
}
