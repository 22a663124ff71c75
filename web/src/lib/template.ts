// Template placeholders ({{name}}, as the API defines them): a reply must not go out
// with one still in it, since the customer would read it as written.
const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g;

/** The {{name}} placeholders of a template body, in order, once each. */
export function placeholders(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(PLACEHOLDER)) if (!out.includes(m[1]!)) out.push(m[1]!);
  return out;
}

/** text with each placeholder that has a non-empty value replaced by it. */
export function fill(text: string, values: Record<string, string>): string {
  return text.replace(PLACEHOLDER, (all, v: string) => values[v] || all);
}
