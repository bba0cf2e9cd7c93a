/**
 * What is still to do for each card printed at the desk's card page: its step in the ILS (a new
 * number to give, the card replaced to block) with its Done, and its chip offer (Encode chip,
 * Thrown away) at a printer whose cards have a chip. Each is the card's, named by its card number,
 * kept by the desk once settled, and rebuilt from the printer's issue records when the page loads.
 * Talks to Carrel's API only (/api/v1/cards…); the page's problem line is the page's (cards.js).
 */

const $ = (id) => document.getElementById(id);

/**
 * Refusals of a card's chip that say its offer is over, whoever pressed first (another PC of the
 * desk, the page left open for days): its chip encoded or given up, the card replaced by a later
 * one, its number forgotten, its issue unknown. Pressed again they would only be refused again.
 */
const CHIP_OFFER_OVER = new Set([
  'card_chip_encoded',
  'card_chip_given_up',
  'card_replaced',
  'card_number_forgotten',
  'card_issue_not_found',
]);
/** A refusal of an ILS step's Done that says there is no such step: its issue unknown, or forgotten. */
const ILS_STEP_OVER = new Set(['card_issue_not_found', 'card_number_forgotten']);

/**
 * The ILS steps and chip offers of the page: `api` the page's ApiClient, `showProblem` and
 * `clearProblem` its problem line. `encodeOn(pad)` names the printer's RFID pad (none: no chip),
 * `cardPrinted(record)` adds a card just issued, `load(device)` the printer's cards still to do.
 */
export function cardsStillToDo({ api, showProblem, clearProblem }) {
  /** The RFID pad the printer's cards get their chip on, when its cards have one. */
  let chipPad;
  /** The printer whose issues the page shows (the records are read again after a failed encode). */
  let printer;
  /**
   * The cards printed whose chip is not encoded yet, by card number: the issue whose chip its
   * Encode chip writes, and its line on the page. Each keeps its offer, other cards printed meanwhile,
   * until its chip is encoded or a card printed to replace it takes it away.
   */
  const chipOffers = new Map();

  /**
   * How a card came to be: printed, or — its outcome unknown when the link to the printer failed —
   * found in the output hopper, by whom (the name of their token) and at what time, as the desk keeps it.
   */
  function cameWords(record) {
    if (!record.foundInHopperBy) return 'printed';
    const at = record.foundInHopperAt ? new Date(record.foundInHopperAt) : undefined;
    const time =
      at && !Number.isNaN(at.getTime())
        ? ` at ${at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`
        : '';
    return `found in the output hopper by ${record.foundInHopperBy}${time}`;
  }

  /**
   * SIP2 cannot change a patron's barcode or mark a card lost, so what the ILS must learn is told to
   * staff: a new number to give the patron there, and the card it replaces to block. Each step is
   * the printed card's, named by its card number (never the patron's name or barcode), and stays —
   * the next patron entered, other cards printed, the page loaded again — until staff press its Done
   * (kept by the desk, so no other page shows it either), or a card printed to replace it says the
   * step anew.
   */
  function addIlsTodo(record) {
    const todo = [];
    if (record.cardNumber !== record.patron) todo.push('give its patron this card number');
    if (record.replaces && record.replaces !== record.cardNumber)
      todo.push(`block the old card ${record.replaces}`);
    // The card replaced: its own step (its number to give) is said anew by this one, or was done.
    for (const item of $('ils-todo').querySelectorAll('li'))
      if (item.dataset.card === record.replaces || item.dataset.card === record.cardNumber) item.remove();
    if (todo.length) {
      const item = document.createElement('li');
      item.dataset.card = record.cardNumber;
      const words = document.createElement('span');
      words.textContent = `Card ${record.cardNumber}, ${cameWords(record)}: in the ILS, ${todo.join(' and ')}.`;
      const done = document.createElement('button');
      done.type = 'button';
      done.textContent = 'Done';
      done.setAttribute('aria-label', `Done in the ILS for card ${record.cardNumber}`);
      done.addEventListener('click', () =>
        settle(record.issueId, 'ils-done', done, () => item.remove(), ILS_STEP_OVER),
      );
      item.append(words, done);
      $('ils-todo').append(item);
    }
    $('ils-todo').hidden = !$('ils-todo').querySelector('li');
  }

  /**
   * After a card is issued at a printer whose cards have a chip: its Encode chip, named by its card
   * number (never the patron's name or barcode), so that with the next patron entered, or the next
   * card printed, the offer is not taken as theirs. A card it replaces loses its offer: that card is
   * to be blocked, not encoded. A number printed again (the patron's barcode) has one offer, the newest card's.
   */
  function offerChip(record) {
    if (record.replaces) dropChipOffer(record.replaces);
    if (!chipPad) return;
    dropChipOffer(record.cardNumber);
    const item = document.createElement('li');
    const words = document.createElement('span');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = `Encode chip of card ${record.cardNumber}`;
    button.addEventListener('click', () => encodeChip(record.cardNumber));
    const offer = {
      issueId: record.issueId,
      item,
      words,
      button,
      cutShort: Boolean(record.chipWriteCutShortAt),
      failedPartway: Boolean(record.chipWriteFailedUid),
    };
    /** This offer's line taken away, unless a newer card of the number took its place meanwhile. */
    const dropOffer = () => {
      if (chipOffers.get(record.cardNumber) === offer) dropChipOffer(record.cardNumber);
    };
    const giveUp = document.createElement('button');
    giveUp.type = 'button';
    if (record.chipWriteCutShortAt) {
      // Carrel stopped while this chip was written: it may work. Reading it on the pad (Encode chip)
      // settles it; giving it up is for a card staff know is destroyed, and says so.
      words.textContent = cutShortWords(record.cardNumber, offer.failedPartway);
      giveUp.textContent = 'Destroyed';
      giveUp.setAttribute('aria-label', `Destroyed: card ${record.cardNumber}, give up its chip`);
      giveUp.title = 'The card is destroyed (cut through): whatever its chip holds, no one carries it';
      giveUp.addEventListener('click', () =>
        settle(record.issueId, 'chip-given-up', giveUp, dropOffer, CHIP_OFFER_OVER, {
          confirmCardDestroyed: true,
        }),
      );
    } else {
      words.textContent = `Card ${record.cardNumber}, ${cameWords(record)}: its chip is not encoded yet.`;
      giveUp.textContent = 'Thrown away';
      giveUp.setAttribute('aria-label', `Thrown away: card ${record.cardNumber}, its chip not to be encoded`);
      giveUp.title = 'The card was thrown away: its chip will not be encoded';
      giveUp.addEventListener('click', () =>
        settle(record.issueId, 'chip-given-up', giveUp, dropOffer, CHIP_OFFER_OVER).then((refusal) => {
          // Carrel stopped while its chip was written (this page was loaded before): offered as such.
          if (refusal === 'card_chip_write_cut_short' && chipOffers.get(record.cardNumber) === offer)
            offerChip({ ...record, replaces: null, chipWriteCutShortAt: 'now' });
        }),
      );
    }
    item.append(words, button, giveUp);
    $('chip-cards').append(item);
    chipOffers.set(record.cardNumber, offer);
    showChipOffers();
  }

  /**
   * A card whose chip write Carrel did not live to finish, or that failed partway (the card lifted
   * off the pad): the chip may work, or hold part of the number.
   */
  function cutShortWords(cardNumber, failedPartway) {
    if (failedPartway)
      return `Card ${cardNumber}: its chip write failed partway (the card moved off the pad?), so the chip may hold part of the number, or all of it. Lay this same card alone on the pad and press Encode chip to write it again; no other card’s chip will do. If the card is destroyed, press Destroyed.`;
    return `Card ${cardNumber}: Carrel stopped while its chip was being written, so the chip may already work. Lay the card alone on the pad and press Encode chip to finish; if the card is destroyed, press Destroyed.`;
  }

  function dropChipOffer(cardNumber) {
    chipOffers.get(cardNumber)?.item.remove();
    chipOffers.delete(cardNumber);
    showChipOffers();
  }

  /**
   * Tells the desk what staff settled of a card (its ILS step done, its chip given up) and, once the
   * desk has kept it, takes the line away: another page, or this one loaded again, does not show it.
   * A refusal whose code is among `over` (another PC settled it first…) takes the line away too,
   * its words left on the problem line; any other leaves the line to press again. Resolves with the
   * refusal's code, if any.
   */
  async function settle(issueId, what, button, remove, over, body) {
    clearProblem();
    button.disabled = true;
    let refusal;
    try {
      await api.call('POST', `/api/v1/cards/${encodeURIComponent(issueId)}/${what}`, body);
    } catch (error) {
      button.disabled = false;
      showProblem(error);
      refusal = error?.code;
      if (!over.has(refusal)) return refusal;
    }
    remove();
    $('ils-todo').hidden = !$('ils-todo').querySelector('li');
    return refusal;
  }

  /** How many of the printer's latest issues are looked through for what is still to do. */
  const ISSUES_LOOKED_AT = 100;

  /**
   * What is still to do for the cards printed, from the desk's issue records: the page may have been
   * loaded again, the browser crashed, or this is the next shift's PC. A card issued and not replaced
   * keeps its ILS step until staff said it was done, and its chip offer until its chip is encoded or
   * given up. A record whose card number has been forgotten (patronDataDays) has nothing to show.
   */
  async function loadStillToDo(device) {
    printer = device;
    const { issues } = await api.call(
      'GET',
      `/api/v1/cards?printer=${encodeURIComponent(device)}&limit=${ISSUES_LOOKED_AT}`,
    );
    for (const record of issues.reverse()) {
      if (record.result !== 'issued' || record.replacedBy !== null || record.cardNumber === '') continue;
      if (record.ilsDoneAt === null) addIlsTodo(record);
      if (!record.chipEncoded && record.chipGivenUpAt === null) offerChip(record);
    }
  }

  function showChipOffers() {
    $('chip').hidden = chipOffers.size === 0;
    $('chip-hint').textContent = chipPad
      ? `To encode a card’s chip, lay that card alone on the RFID pad “${chipPad}”, then press Encode chip of its number.`
      : '';
  }

  async function encodeChip(cardNumber) {
    const offer = chipOffers.get(cardNumber);
    if (!offer) return;
    clearProblem();
    offer.button.disabled = true;
    offer.words.textContent = `Card ${cardNumber}: encoding its chip…`;
    try {
      await api.call('POST', `/api/v1/cards/${encodeURIComponent(offer.issueId)}/rfid`);
      if (chipOffers.get(cardNumber) === offer) dropChipOffer(cardNumber);
      $('progress').textContent = `Chip of card ${cardNumber} encoded and read back: the card is ready.`;
    } catch (error) {
      // A chip whose write was cut short stays unknown: this refusal wrote nothing (the pad empty…).
      offer.words.textContent = offer.cutShort
        ? cutShortWords(cardNumber, offer.failedPartway)
        : `Card ${cardNumber}: the chip was not encoded.`;
      offer.button.disabled = false;
      showProblem(error);
      // Encoded or given up at another PC, replaced…: its offer is over, as a reload would show.
      if (CHIP_OFFER_OVER.has(error?.code) && chipOffers.get(cardNumber) === offer) dropChipOffer(cardNumber);
      else if (!offer.failedPartway) await offerAgainIfWriteBegan(offer, cardNumber);
    }
  }

  /**
   * A write that failed once it began (the card lifted mid-write) left the chip holding part of the
   * number, or all of it: the record says so, and the offer is made again from it, its words and its
   * Destroyed button those of a chip that may work.
   */
  async function offerAgainIfWriteBegan(offer, cardNumber) {
    if (!printer) return;
    let record;
    try {
      const { issues } = await api.call(
        'GET',
        `/api/v1/cards?printer=${encodeURIComponent(printer)}&limit=${ISSUES_LOOKED_AT}`,
      );
      record = issues.find((issue) => issue.issueId === offer.issueId);
    } catch {
      return; // the refusal's words stand; a reload shows the record
    }
    if (record?.chipWriteCutShortAt && chipOffers.get(cardNumber) === offer)
      offerChip({ ...record, replaces: null });
  }

  return {
    encodeOn(pad) {
      chipPad = pad;
    },
    cardPrinted(record) {
      addIlsTodo(record);
      offerChip(record);
    },
    load: loadStillToDo,
  };
}
