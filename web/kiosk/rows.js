/**
 * DOM building for the kiosk: a small `element()` helper (text only, never HTML)
 * and the rows of the items list and the renewals list.
 */
import { itemWords, renewalWords } from './words.js';

/** `element('li', {class: 'item', onclick: fn}, 'text', child)`: attributes, listeners and text children. */
export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) if (child !== undefined && child !== null) node.append(child);
  return node;
}

/**
 * One item in the session, in words; `act(barcode, feeAcknowledged)` is called by
 * its button (accept a fee, try again, or check out / return an item waiting on the pad).
 * `library`: what the kiosk knows of the library system for this item (see `itemWords`).
 */
export function itemRow(item, mode, act, library) {
  const words = itemWords(item, mode, library);
  const row = element('li', {
    class: `item ${words.tone}`,
    'data-item': item.item,
    'data-state': item.state,
  });
  row.append(
    element('span', { class: 'item-title' }, item.title || `Item ${item.item}`),
    element('span', { class: 'item-state' }, words.text),
  );
  if (words.note) row.append(element('span', { class: 'item-note' }, words.note));
  if (words.action === 'fee') {
    const label = words.fee ? `Accept the fee of ${words.fee}` : 'Accept the fee';
    row.append(
      element('button', { type: 'button', class: 'big', onclick: () => act(item.item, true) }, label),
    );
  } else if (words.action === 'retry') {
    row.append(
      element('button', { type: 'button', class: 'big', onclick: () => act(item.item, false) }, 'Try again'),
    );
  } else if (words.action === 'process') {
    const label = mode === 'return' ? 'Return this item' : 'Borrow this item';
    row.append(
      element('button', { type: 'button', class: 'big', onclick: () => act(item.item, false) }, label),
    );
  }
  return row;
}

/** One renewal's outcome; `title` is what the kiosk knows when the ILS named only the barcode. */
export function renewalRow(renewal, title) {
  const words = renewalWords(renewal);
  return element(
    'li',
    { class: `item ${words.tone}`, 'data-renewal': renewal.item },
    element('span', { class: 'item-title' }, renewal.title || title || `Item ${renewal.item}`),
    element('span', { class: 'item-state' }, words.text),
    words.note ? element('span', { class: 'item-note' }, words.note) : undefined,
  );
}
