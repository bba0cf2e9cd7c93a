/** Tag byte order: some readers (FEIG's read-blocks reply) deliver each block's bytes reversed. */

export type ByteOrder = 'logical' | 'block-reversed';

/** A copy with each whole `blockSize`-byte block reversed; a partial last block is left as is. */
export function reverseBlocks(memory: Uint8Array, blockSize = 4): Uint8Array {
  const out = new Uint8Array(memory.length);
  const whole = memory.length - (memory.length % blockSize);
  for (let start = 0; start < whole; start += blockSize) {
    for (let i = 0; i < blockSize; i++) out[start + i] = memory[start + blockSize - 1 - i]!;
  }
  for (let i = whole; i < memory.length; i++) out[i] = memory[i]!;
  return out;
}
