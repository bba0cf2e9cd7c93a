/**
 * Who has what, kept up to date on every change instead of found by scanning
 * every item: each patron's loans (in checkout order), the items a patron waits
 * for, the items on the hold shelf for a patron, and copies by title. A loan,
 * a hold queue or a hold-shelf entry changes only through IlsLibrary, which
 * tells this index; the Item fields are read-only to everyone else.
 *
 * Orders match what a scan of the items in fixture order gave: loans by
 * checkout time, ties in fixture order; holds in fixture order.
 */
import type { HoldShelfEntry, Item, Loan } from './library-model.js';

export class CirculationIndex {
  /** Each item's place in the fixture: the order a scan of the items would meet it. */
  private readonly position = new Map<string, number>();
  private readonly loans = new Map<string, Loan[]>();
  private readonly waitingFor = new Map<string, Set<Item>>();
  private readonly onShelfFor = new Map<string, Set<Item>>();
  private readonly copies = new Map<string, Item[]>();

  /** A new item: called once per item, in fixture order. */
  addItem(item: Item): void {
    if (!this.position.has(item.barcode)) this.position.set(item.barcode, this.position.size);
    const copies = this.copies.get(item.title);
    if (copies) copies.push(item);
    else this.copies.set(item.title, [item]);
  }

  /** The patron's loans, oldest first; a copy the caller may keep. */
  loansOf(patron: string): Loan[] {
    return this.loans.get(patron)?.slice() ?? [];
  }

  /** How many items the patron has out, without copying the list. */
  loanCount(patron: string): number {
    return this.loans.get(patron)?.length ?? 0;
  }

  /** Every copy with this title, in fixture order. */
  copiesOf(title: string): readonly Item[] {
    return this.copies.get(title) ?? [];
  }

  /** Items the patron waits for, in fixture order. */
  waitingHoldsOf(patron: string): Item[] {
    return this.inFixtureOrder(this.waitingFor.get(patron));
  }

  /** Items on the hold shelf for the patron, in fixture order. */
  shelvedHoldsOf(patron: string): Item[] {
    return this.inFixtureOrder(this.onShelfFor.get(patron));
  }

  /** Records that `loan` replaced `previous` (either may be undefined) on an item. */
  loanChanged(previous: Loan | undefined, loan: Loan | undefined): void {
    if (previous) {
      const list = this.loans.get(previous.patron);
      const at = list?.indexOf(previous) ?? -1;
      if (list && at >= 0) list.splice(at, 1);
    }
    if (!loan) return;
    let list = this.loans.get(loan.patron);
    if (!list) {
      list = [];
      this.loans.set(loan.patron, list);
    }
    // Usually the newest loan: found at the end at once.
    let at = list.length;
    while (at > 0 && this.before(loan, list[at - 1]!)) at--;
    list.splice(at, 0, loan);
  }

  /** Records a new hold queue for an item. */
  holdQueueChanged(item: Item, previous: readonly { patron: string }[], next: readonly { patron: string }[]) {
    for (const hold of previous) this.waitingFor.get(hold.patron)?.delete(item);
    for (const hold of next) add(this.waitingFor, hold.patron, item);
  }

  /** Records a new hold-shelf entry (or none) for an item. */
  holdShelfChanged(item: Item, previous: HoldShelfEntry | undefined, next: HoldShelfEntry | undefined) {
    if (previous) this.onShelfFor.get(previous.patron)?.delete(item);
    if (next) add(this.onShelfFor, next.patron, item);
  }

  /** Loan `a` sorts before loan `b`: checked out earlier, or at the same time and earlier in the fixture. */
  private before(a: Loan, b: Loan): boolean {
    const diff = a.checkedOutAt.getTime() - b.checkedOutAt.getTime();
    if (diff !== 0) return diff < 0;
    return this.placeOf(a.item) < this.placeOf(b.item);
  }

  private placeOf(barcode: string): number {
    return this.position.get(barcode) ?? Number.MAX_SAFE_INTEGER;
  }

  private inFixtureOrder(items: Set<Item> | undefined): Item[] {
    if (!items || items.size === 0) return [];
    return [...items].sort((a, b) => this.placeOf(a.barcode) - this.placeOf(b.barcode));
  }
}

function add(index: Map<string, Set<Item>>, patron: string, item: Item): void {
  const items = index.get(patron);
  if (items) items.add(item);
  else index.set(patron, new Set([item]));
}
