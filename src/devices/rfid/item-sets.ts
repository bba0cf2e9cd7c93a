/** Multi-part items (a book with a CD): which parts of each set are on the pad. */
import type { TagItem } from './tag-item.js';

export interface IncompleteSet {
  primaryItemId: string;
  /**
   * The owning library (ISIL) the parts' tags name, when they name one: two libraries' items
   * may share an id (an interlibrary loan on the pad beside a local copy), and are two sets.
   */
  ownerLibrary?: string;
  parts: number;
  /** Part numbers on the pad, ascending. */
  present: number[];
  missing: number[];
}

/** Whether an item is a part of a multi-part set (of two parts or more, with an id): what findIncompleteSets counts. */
export function isSetPart(item: TagItem): item is TagItem & { set: NonNullable<TagItem['set']> } {
  return item.set !== undefined && item.set.parts >= 2 && item.primaryItemId !== '';
}

/** Sets with at least one part on the pad and at least one missing. */
export function findIncompleteSets(items: Iterable<TagItem>): IncompleteSet[] {
  const sets = new Map<
    string,
    { id: string; owner: string | undefined; parts: number; present: Set<number> }
  >();
  for (const item of items) {
    if (!isSetPart(item)) continue;
    const key = setKey(item.primaryItemId, item.ownerLibrary);
    const entry = sets.get(key) ?? {
      id: item.primaryItemId,
      owner: item.ownerLibrary || undefined,
      parts: item.set.parts,
      present: new Set<number>(),
    };
    entry.parts = Math.max(entry.parts, item.set.parts);
    entry.present.add(item.set.part);
    sets.set(key, entry);
  }
  const incomplete: IncompleteSet[] = [];
  for (const { id, owner, parts, present } of sets.values()) {
    const missing: number[] = [];
    for (let part = 1; part <= parts; part++) if (!present.has(part)) missing.push(part);
    if (missing.length === 0) continue;
    incomplete.push({
      primaryItemId: id,
      ...(owner === undefined ? {} : { ownerLibrary: owner }),
      parts,
      present: [...present].sort((a, b) => a - b),
      missing,
    });
  }
  return incomplete.sort(
    (a, b) =>
      a.primaryItemId.localeCompare(b.primaryItemId) ||
      (a.ownerLibrary ?? '').localeCompare(b.ownerLibrary ?? ''),
  );
}

/** One set: its id and its owner (none when the tags name none). */
export function setKey(primaryItemId: string, ownerLibrary: string | undefined): string {
  return `${ownerLibrary ?? ''}|${primaryItemId}`;
}
