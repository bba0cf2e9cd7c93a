/**
 * What an incremental frame parser holds between chunks (the start of a frame not yet whole), for
 * the parsers that read each chunk after it (FEIG, 3M, ccTalk). A reader's reply mostly comes whole
 * in one chunk, several times a second at a desk: then nothing is held, and the chunk is read where
 * it lies instead of being copied into a new array, and nothing held is made after it either.
 */

/** Nothing held: shared, never written to. */
export const NOTHING_HELD: Uint8Array = new Uint8Array(0);

/**
 * The bytes to parse: what was `held`, then `chunk`. With nothing held, the chunk itself, as a plain
 * Uint8Array over its memory — whose `slice` copies, as a Buffer's (a view) does not: a parser keeps
 * its frames and what it holds as slices, and must not keep views of a chunk that is not its own.
 */
export function heldThen(held: Uint8Array, chunk: Uint8Array): Uint8Array {
  if (held.length === 0) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const joined = new Uint8Array(held.length + chunk.length);
  joined.set(held);
  joined.set(chunk, held.length);
  return joined;
}

/** What to hold after parsing `bytes` (from heldThen) up to `at`: a copy of the rest, or nothing. */
export function heldAfter(bytes: Uint8Array, at: number): Uint8Array {
  return at >= bytes.length ? NOTHING_HELD : bytes.slice(at);
}
