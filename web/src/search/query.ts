// What a search box's text searches by, and whether the API would take it.

export type Field = 'auto' | 'phone' | 'ref' | 'name';

/** What "auto" searches by: digits and phone punctuation are a number, else a name. */
export function guessField(q: string): Exclude<Field, 'auto'> {
  return /^\+?\(?[0-9][0-9 ()\-.]*$/.test(q.trim()) ? 'phone' : 'name';
}

export function problem(field: Exclude<Field, 'auto'>, q: string): string | null {
  const v = q.trim();
  if (!v) return 'Type a number, a ref or a name.';
  if (field === 'name' && v.length < 3) return 'A name search needs at least 3 characters.';
  if (v.length > 100) return 'At most 100 characters.';
  return null;
}
