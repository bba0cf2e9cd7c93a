/** Multi-part items (a book with a CD): which parts of each set are on the pad. */
import type { TagItem } from './tag-item.js';

export interface IncompleteSet {
  primaryItemId: string;
  parts: number;
  /** Part numbers on the pad, ascending. */
  present: number[];
  missing: number[];
}

/** Sets with at least one part on the pad and at least one missing. */
export function findIncompleteSets(items: Iterable<TagItem>): IncompleteSet[] {
  const sets = new Map<string, { parts: number; present: Set<number> }>();
  for (const item of items) {
    if (!item.set || item.set.parts < 2 || item.primaryItemId === '') continue;
    const key = `${item.ownerLibrary ?? ''}|${item.primaryItemId}`;
    const entry = sets.get(key) ?? { parts: item.set.parts, present: new Set<number>() };
    entry.parts = Math.max(entry.parts, item.set.parts);
    entry.present.add(item.set.part);
    sets.set(key, entry);
  }
  const incomplete: IncompleteSet[] = [];
  for (const [key, { parts, present }] of sets) {
    const missing: number[] = [];
    for (let part = 1; part <= parts; part++) if (!present.has(part)) missing.push(part);
    if (missing.length === 0) continue;
    incomplete.push({
      primaryItemId: key.slice(key.indexOf('|') + 1),
      parts,
      present: [...present].sort((a, b) => a - b),
      missing,
    });
  }
  return incomplete.sort((a, b) => a.primaryItemId.localeCompare(b.primaryItemId));
}
