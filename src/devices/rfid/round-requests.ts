/**
 * Asks for an inventory round of the pad's own, begun after the ask: what answers it lies on the
 * pad now. The pad keeps one round at a time (its polling): a round already running when the ask
 * comes may have asked the reader before a card was laid down or taken off, so the ask is answered
 * by the next round to begin, which the pad begins at once rather than after its pause. rfid-pad.ts
 * decides when rounds run; this keeps who waits for which.
 */
import type { TagUid } from '../../protocols/iso15693/uid.js';
import { RfidReaderError } from './reader.js';
import type { PadTag } from './tag-memory.js';

/** What a round saw: the UIDs that answered its inventory, or why the inventory failed. */
export type RoundSeen = { seen: ReadonlySet<TagUid> } | { failed: Error };

interface Asker {
  resolve(seen: RoundSeen): void;
  reject(error: Error): void;
}

const NOBODY_ASKED = (_seen: RoundSeen) => {};

export class RoundRequests {
  /** Asks not yet taken by a round: the next round to begin answers them. */
  private waiting: Asker[] = [];

  /** Whether a round is asked for: the pad begins the next one without its pause. */
  get wanted(): boolean {
    return this.waiting.length > 0;
  }

  /** Resolves with what the next round to begin sees. */
  ask(): Promise<RoundSeen> {
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** A round begins: the asks so far are its to answer, once it ends (`answer`). */
  beginning(): (seen: RoundSeen) => void {
    // Most rounds are the pad's polling, asked for by nobody.
    if (this.waiting.length === 0) return NOBODY_ASKED;
    const askers = this.waiting;
    this.waiting = [];
    return (seen) => {
      for (const asker of askers) asker.resolve(seen);
    };
  }

  /** No round will begin (the reader is lost or disconnected): every ask waiting fails with why. */
  failAll(error: Error): void {
    const askers = this.waiting;
    this.waiting = [];
    for (const asker of askers) asker.reject(error);
  }
}

/** Why a tag an inventory saw is given without its memory when none was read yet. */
export const UNREAD = 'rfid_not_read_yet';

/** Why no round is taken: the reader is not connected, or was disconnected meanwhile. */
export function notTakingRounds(): RfidReaderError {
  return new RfidReaderError('rfid_not_open', 'the reader is not connected: no inventory can be taken');
}

/**
 * The tags that answer a round asked for now, each as the pad knows it (`tag`). A round that saw a
 * tag whose memory is not read yet (a failed read has attempts left) is followed by another, which
 * reads it again, up to `rounds` in all, then the tag is given with why (`readError`); so is a
 * round that saw no tag (one inventory may miss a tag lying there, as the kept view allows for), and
 * the pad is empty only when none saw one; a failed inventory is tried again within the same bound,
 * then thrown.
 */
export async function tagsAnsweringNow(pad: {
  rounds: number;
  nextRound(): Promise<RoundSeen>;
  tag(uid: TagUid): { tag: PadTag; read: boolean };
}): Promise<PadTag[]> {
  let failure: Error | undefined;
  for (let round = 1; round <= pad.rounds; round++) {
    const outcome = await pad.nextRound();
    if ('failed' in outcome) {
      failure = outcome.failed;
      continue;
    }
    const tags = [...outcome.seen].map((uid) => pad.tag(uid));
    // One inventory may miss a tag lying there: an empty pad is said only once no round saw one.
    if (round === pad.rounds || (tags.length > 0 && tags.every(({ read }) => read)))
      return tags.map(({ tag }) => tag);
  }
  throw new RfidReaderError(
    'rfid_inventory_failed',
    `the reader failed ${pad.rounds} inventories in a row: ${failure?.message ?? 'no reply'}`,
  );
}
