import type { CheckinAlertType, IlsDate, Money } from '../contracts/circulation.js';
import type { SessionItemSecurity, SessionItemState, SessionItemView } from '../contracts/sessions.js';

/** One item in a session: its tags on the pad, its state, and what the ILS said. */
export class ItemRecord {
  state: SessionItemState = 'pending';
  title: string | undefined;
  /** How many parts the item has (from its tags), when more than one. */
  parts: number | undefined;
  dueDate: IlsDate | null | undefined;
  renewal: boolean | undefined;
  offline: boolean | undefined;
  security: SessionItemSecurity | undefined;
  magneticMedia: boolean | undefined;
  fee: (Money & { type?: string }) | undefined;
  sortBin: string | undefined;
  alert: { type: CheckinAlertType; message: string } | undefined;
  reason: string | undefined;
  /** Failed: what went wrong, in words (the reason's code says it for a program). */
  message: string | undefined;
  /** The last attempt reached the ILS and its answer was lost: it may have been done. */
  answerLost = false;
  screenMessages: string[] = [];
  updatedAt: number;
  /** The ILS did its part (checked out or in); only the tags' security may be left to do. */
  transacted = false;
  /** Security wanted on the tags once the ILS has done its part; undefined when the ILS said leave it. */
  wantSecured: boolean | undefined;
  /** A transaction or a security write is running for this item. */
  busy = false;
  /** Taken off the pad before the ILS was asked: no longer part of the session. */
  withdrawn = false;
  /** What the session's watchers were last told of this item (its view but the time), to tell no news twice. */
  told: string | undefined;
  /** UID → part number (1 when the tag names none), for every tag of this item seen on the pad. */
  private readonly tagParts = new Map<string, number>();
  /** UIDs of this item's tags on the pad now. */
  private readonly present = new Set<string>();
  /** UIDs whose security was written and read back as wanted. */
  readonly verified = new Set<string>();

  constructor(
    readonly id: string,
    now: number,
  ) {
    this.updatedAt = now;
  }

  get hasTags(): boolean {
    return this.tagParts.size > 0;
  }

  get tagsOnPad(): string[] {
    return [...this.present];
  }

  /** Distinct parts on the pad now. */
  get partsOnPad(): number {
    return new Set([...this.present].map((uid) => this.tagParts.get(uid))).size;
  }

  /** A multi-part item with a part missing from the pad. */
  get incomplete(): boolean {
    return this.parts !== undefined && this.parts > 1 && this.partsOnPad < this.parts;
  }

  /** Every tag of the item seen on the pad has its security as wanted. */
  get securityDone(): boolean {
    return this.tagParts.size > 0 && [...this.tagParts.keys()].every((uid) => this.verified.has(uid));
  }

  /** Done: the ILS did its part and the security is as it should be. */
  get settled(): boolean {
    return this.state === 'checked_out' || this.state === 'checked_in';
  }

  placed(uid: string, part: number | undefined, parts: number | undefined): void {
    this.tagParts.set(uid, part ?? 1);
    this.present.add(uid);
    if (parts !== undefined && parts > 1) this.parts = parts;
  }

  left(uid: string): boolean {
    return this.present.delete(uid);
  }

  isOnPad(uid: string): boolean {
    return this.present.has(uid);
  }

  owns(uid: string): boolean {
    return this.tagParts.has(uid);
  }

  /** Forgets what a previous attempt said before the next one. */
  clearOutcome(): void {
    this.reason = undefined;
    this.message = undefined;
    this.answerLost = false;
    this.screenMessages = [];
  }

  view(): SessionItemView {
    const view: SessionItemView = {
      item: this.id,
      state: this.state,
      tags: [...this.tagParts.keys()],
      screenMessages: [...this.screenMessages],
      updatedAt: new Date(this.updatedAt).toISOString(),
    };
    if (this.title !== undefined) view.title = this.title;
    if (this.parts !== undefined) view.set = { parts: this.parts, onPad: this.partsOnPad };
    if (this.dueDate !== undefined) view.dueDate = this.dueDate;
    if (this.renewal !== undefined) view.renewal = this.renewal;
    if (this.offline) view.offline = true;
    if (this.security !== undefined) view.security = this.security;
    if (this.magneticMedia !== undefined) view.magneticMedia = this.magneticMedia;
    if (this.fee !== undefined) view.fee = this.fee;
    if (this.sortBin !== undefined) view.sortBin = this.sortBin;
    if (this.alert !== undefined) view.alert = this.alert;
    if (this.reason !== undefined) view.reason = this.reason;
    if (this.state === 'failed' && this.message !== undefined) view.message = this.message;
    if (this.state === 'failed' && this.answerLost) view.answerLost = true;
    return view;
  }
}
