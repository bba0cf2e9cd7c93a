/**
 * The end-of-session receipt shown on the screen: the data of the `checkout` or
 * `checkin` receipt template (library, patron, loans or returns, printedAt).
 */
import { element } from './rows.js';
import { formatDate, formatDateTime } from './words.js';

/** Fills `target` with the receipt; text only (never HTML from the data). */
export function renderReceipt(target, receipt) {
  const data = receipt.data && typeof receipt.data === 'object' ? receipt.data : {};
  const library = data.library && typeof data.library === 'object' ? data.library : {};
  const children = [];
  if (library.name) children.push(element('h2', {}, String(library.name)));
  if (library.branch) children.push(element('p', { class: 'receipt-branch' }, String(library.branch)));
  children.push(
    element(
      'p',
      { class: 'receipt-kind' },
      receipt.template === 'checkin' ? 'Return receipt' : 'Checkout receipt',
    ),
  );
  if (data.offline) {
    children.push(element('p', { class: 'receipt-offline' }, 'Will be sent to the library system later'));
  }
  const facts = [];
  if (data.patron && typeof data.patron === 'object' && data.patron.name)
    facts.push(['Patron', data.patron.name]);
  if (data.printedAt) facts.push(['Date', formatDateTime(String(data.printedAt))]);
  if (facts.length > 0) children.push(definitionList(facts));

  const isReturn = receipt.template === 'checkin';
  const lines = Array.isArray(isReturn ? data.returns : data.loans)
    ? isReturn
      ? data.returns
      : data.loans
    : [];
  if (lines.length === 0) {
    children.push(element('p', {}, isReturn ? 'No items were returned.' : 'No items were checked out.'));
  } else {
    const list = element('ol', { class: 'receipt-lines' });
    for (const line of lines) list.append(receiptLine(line, isReturn));
    children.push(list);
  }
  // Loans she asked to renew that were not, and why.
  const notRenewed = !isReturn && Array.isArray(data.notRenewed) ? data.notRenewed : [];
  if (notRenewed.length > 0) {
    const list = element('ol', { class: 'receipt-not-renewed', 'aria-label': 'Not renewed' });
    for (const line of notRenewed) {
      const item = element('li');
      item.append(element('strong', {}, String(line.title ?? line.barcode ?? 'Item')));
      const facts = [];
      if (line.barcode) facts.push(['Item', line.barcode]);
      if (line.note) facts.push(['Note', line.note]);
      if (facts.length > 0) item.append(definitionList(facts));
      list.append(item);
    }
    children.push(list);
  }
  // The totals: a loan renewed is counted as renewed, not as checked out.
  const counts = !isReturn && data.counts && typeof data.counts === 'object' ? data.counts : undefined;
  const renewed = Number.isInteger(counts?.renewed) ? counts.renewed : 0;
  const checkedOut = Number.isInteger(counts?.checkedOut) ? counts.checkedOut : lines.length - renewed;
  children.push(
    element(
      'p',
      { class: 'receipt-total' },
      `${isReturn ? 'Items returned' : 'Items checked out'}: ${isReturn ? lines.length : checkedOut}`,
    ),
  );
  if (renewed > 0) children.push(element('p', { class: 'receipt-total' }, `Items renewed: ${renewed}`));
  target.replaceChildren(...children);
}

function receiptLine(line, isReturn) {
  const item = element('li');
  item.append(element('strong', {}, String(line.title ?? line.barcode ?? 'Item')));
  const facts = [];
  if (line.author) facts.push(['By', line.author]);
  if (line.barcode) facts.push(['Item', line.barcode]);
  if (!isReturn) {
    const due = formatDate(line.dueDate);
    if (due) facts.push(['Due', due]);
    if (line.note) facts.push(['Note', line.note]);
  } else if (line.hold) {
    facts.push(['Note', 'Put it on the hold shelf']);
  }
  if (facts.length > 0) item.append(definitionList(facts));
  return item;
}

function definitionList(facts) {
  const list = element('dl');
  for (const [term, value] of facts) list.append(element('dt', {}, term), element('dd', {}, String(value)));
  return list;
}
