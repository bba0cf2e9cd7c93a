/**
 * Topping up at the station: the patron chooses an amount, Carrel opens a payment for them on the
 * station's acceptors, and the page follows it (what was inserted, what is still to insert) until it
 * is paid, or the patron adds what they inserted, or goes back — what was inserted is credited
 * whichever way it ends (and by Carrel itself after two minutes with no money, should the page go).
 */
import { exponentOf, money } from '/common/money.js';
import { call, Problem, printApi, requestId } from '/common/print-api.js';

/**
 * The station's top-up. `page` gives what it needs of the page: its `cash` devices and `token`,
 * `$(id)`, `show(screen)`, `alertText(text, ok)`, `refresh()`, `logout()`, `showAccount()`,
 * `stillHere()`, `ilsAway` (the codes of a library system away), and the patron's `session()`,
 * `balance()` and `releasing()` as they are now. Returns `end()`, which ends a top-up under way
 * (what was inserted is credited) before the patron is logged out, and `underWay()`: whether a
 * top-up is open or its end is being said.
 */
export function stationTopUp(page) {
  const { cash, token, $, show, alertText, ilsAway } = page;
  const refresh = () => page.refresh();
  const logout = () => page.logout();
  const showAccount = () => page.showAccount();
  const stillHere = () => page.stillHere();

  let topUp;
  /** The opening whose answer was lost: the same amount chosen again is the same request. */
  let topUpOpening;
  $('top-up').hidden = cash.length === 0;
  $('top-up').addEventListener('click', chooseTopUp);
  $('topup-finish').addEventListener('click', () => finishTopUp('finish'));
  $('topup-back').addEventListener('click', () => (topUp ? finishTopUp('cancel') : backToJobs()));
  // The station's browser closed or reloaded mid-top-up: the acceptors stop now, not two minutes on.
  // Under the deadline of the station's other calls: a page that lives on (kept for Back) does not
  // hold the request for ever on a hung desk.
  addEventListener('pagehide', () => {
    if (topUp)
      printApi(token)
        .call('DELETE', `/api/v1/payments/${topUp.id}`, undefined, { keepalive: true })
        .catch(() => {});
  });

  function backToJobs() {
    show('screen-jobs');
    refresh().catch(() => {});
  }

  function chooseTopUp() {
    if (!page.session() || page.releasing() || topUp) return;
    alertText();
    const balance = page.balance();
    const currency = balance?.currency ?? 'EUR';
    const unit = exponentOf(currency) === 0 ? 100 : 10 ** exponentOf(currency);
    $('topup-balance').textContent = balance ? money(balance.balanceMinor, currency) : '';
    $('topup-amounts').replaceChildren(
      ...[1, 2, 5, 10].map((units) => {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'big primary';
        button.textContent = money(units * unit, currency);
        button.addEventListener('click', () => startTopUp(units * unit));
        return button;
      }),
    );
    $('topup-choose').hidden = false;
    $('topup-insert').hidden = true;
    $('topup-finish').hidden = true;
    show('screen-topup');
  }

  async function startTopUp(amountMinor) {
    const session = page.session();
    if (!session || topUp) return;
    const mine = session;
    if (topUpOpening?.amountMinor !== amountMinor) topUpOpening = { amountMinor, requestId: requestId() };
    const buttons = [...$('topup-amounts').querySelectorAll('button')];
    for (const button of buttons) button.disabled = true;
    alertText();
    try {
      const payment = await call(
        'POST',
        '/api/v1/print/station/topup',
        { session, amountMinor, devices: cash, requestId: topUpOpening.requestId },
        token,
      );
      topUpOpening = undefined;
      topUp = { id: payment.id, paidMinor: 0, polls: 0 };
      // Done pressed meanwhile: the payment opened for the patron who left is ended at once.
      if (page.session() !== mine) return endTopUp();
      showTopUp(payment);
      topUp.timer = setTimeout(followTopUp, 500);
    } catch (error) {
      const unknown = error instanceof Problem && /^(network|http_5)/.test(error.code ?? '');
      if (!unknown) topUpOpening = undefined;
      if (error instanceof Problem && error.code === 'station_session_expired') {
        await logout();
        alertText('You were logged out. Log in again to print.');
        return;
      }
      alertText(topUpProblem(error, unknown));
    } finally {
      for (const button of buttons) button.disabled = false;
    }
  }

  /** Why a top-up could not start, in the patron's words. */
  function topUpProblem(error, unknown) {
    if (!(error instanceof Problem)) return String(error);
    if (unknown)
      return 'The station lost contact, so it is not known whether the top-up started. Choose the same amount again: it is never started twice.';
    // The library system is asked whose card it is before the acceptors take money: away or slow,
    // it read 'no answer from the ILS within 10000 ms'.
    if (ilsAway.has(error.code))
      return 'The top-up could not start: the library system is not answering just now. Nothing was taken. Try again in a few minutes, or top up at the print desk.';
    switch (error.code) {
      case 'cash_device_busy':
        return 'The coin and note acceptors are taking money for someone else just now. Try again in a moment, or top up at the print desk.';
      case 'amount_invalid': {
        // The desk's limits, from Carrel's words ('a top-up is between 2.00 EUR and 50.00 EUR
        // (amountMinor 200 to 5000); …'), which were shown as they are.
        const limits = /between (\S+ [A-Z]{3}) and (\S+ [A-Z]{3})/.exec(error.message ?? '');
        return limits
          ? `A top-up here is at least ${limits[1]} and at most ${limits[2]}: choose another amount. Nothing was taken.`
          : 'That amount cannot be topped up here: choose another amount. Nothing was taken.';
      }
      case 'device_not_found':
      case 'not_a_cash_device':
      case 'no_cash_devices':
        return 'This station cannot take coins or notes just now. Top up at the print desk.';
      default:
        return `The top-up could not start: ${error.message}. Nothing was taken. Ask at the desk.`;
    }
  }

  function showTopUp(payment) {
    const currency = payment.currency;
    $('topup-choose').hidden = true;
    $('topup-insert').hidden = false;
    $('topup-finish').hidden = false;
    $('topup-finish').disabled = payment.paidMinor === 0;
    $('topup-what').textContent =
      `Insert ${money(payment.amountDueMinor, currency)} in coins or notes. What you insert is added to your balance.`;
    $('topup-paid').textContent = money(payment.paidMinor, currency);
    $('topup-remaining').textContent = money(payment.remainingMinor, currency);
    $('topup-accepting').textContent =
      payment.accepting.length > 0
        ? `Taken now: ${payment.accepting.map((value) => money(value, currency)).join(', ')}.`
        : 'The coin and note acceptors take nothing just now. Ask at the desk, or press Back to my print jobs: what you inserted is added to your balance.';
    $('topup-credits').replaceChildren(
      ...payment.credits.map((credit) => {
        const li = document.createElement('li');
        li.textContent = `${money(credit.valueMinor, currency)} taken`;
        return li;
      }),
    );
  }

  async function followTopUp() {
    const current = topUp;
    if (!current || current.ending) return;
    try {
      const payment = await call('GET', `/api/v1/payments/${current.id}`, undefined, token);
      if (topUp !== current || current.ending) return;
      // Money going in is the patron at the station: not logged out for not touching the screen.
      if (payment.paidMinor !== current.paidMinor) stillHere();
      current.paidMinor = payment.paidMinor;
      if (payment.state === 'completed' || payment.state === 'cancelled') return toppedUp(payment);
      showTopUp(payment);
      // The station session lives on while the patron pays (Carrel ends it after two minutes unused).
      if (++current.polls % 20 === 0) showAccount().catch(() => {});
    } catch {
      // Carrel restarting, the network: the payment is journaled, and followed again once it answers.
      $('topup-accepting').textContent =
        'The station has lost contact for a moment. What you inserted is kept: please wait here.';
    }
    if (topUp === current && !current.ending) current.timer = setTimeout(followTopUp, 500);
  }

  /** Ends the top-up (`finish`: add what was inserted; `cancel`: the same, or nothing when nothing was). */
  async function finishTopUp(how) {
    const payment = await endTopUp(how);
    if (payment && (payment.state === 'completed' || payment.state === 'cancelled')) toppedUp(payment);
    else if (topUp) {
      // Not known how it ended (the desk did not answer): it is followed until it has.
      topUp.ending = undefined;
      followTopUp();
    }
  }

  /** Ends the payment of the top-up under way, if any; the payment as it ended, when known. */
  async function endTopUp(how = 'cancel') {
    const current = topUp;
    if (!current) return undefined;
    clearTimeout(current.timer);
    current.ending ??= call(
      how === 'finish' ? 'POST' : 'DELETE',
      `/api/v1/payments/${current.id}${how === 'finish' ? '/finish' : ''}`,
      undefined,
      token,
    )
      .then((ended) => ended.payment)
      // Ended meanwhile (paid in full, or the other button): as it is now.
      .catch(() => call('GET', `/api/v1/payments/${current.id}`, undefined, token).catch(() => undefined));
    const payment = await current.ending;
    if (payment && (payment.state === 'completed' || payment.state === 'cancelled') && topUp === current)
      topUp = undefined;
    return payment;
  }

  /** A top-up's end being said: it says itself whether the patron was logged out meanwhile. */
  let settling = false;
  /** What the top-up came to, said on the jobs screen with the balance as it is now. */
  async function toppedUp(payment) {
    settling = true;
    try {
      await sayToppedUp(payment);
    } finally {
      settling = false;
    }
  }
  async function sayToppedUp(payment) {
    if (topUp?.id === payment.id) {
      clearTimeout(topUp.timer);
      topUp = undefined;
    }
    const currency = payment.currency;
    const line = payment.lines.find((l) => l.kind === 'print-topup');
    const owed = payment.overpayment.owedToPatronMinor - payment.overpayment.paidOutMinor;
    const owedText =
      owed > 0
        ? ` ${money(owed, currency)} more than that was taken: ask at the desk to be given it back.`
        : '';
    const [said, ok] =
      payment.paidMinor === 0
        ? ['Nothing was inserted: your balance is as it was.', false]
        : line?.state === 'posted'
          ? [
              // What went in beyond the top-up is on the balance too where the desk keeps it there.
              `${money(line.paidMinor + payment.overpayment.toPrintAccountMinor, currency)} was added to your balance.${owedText}`,
              owed === 0,
            ]
          : [
              `${money(payment.paidMinor, currency)} was taken, but it could not be added to your balance yet. Ask at the desk: staff can see the payment and put it right.`,
              false,
            ];
    if (!page.session()) return alertText(said, ok);
    show('screen-jobs');
    try {
      await refresh();
    } catch (error) {
      // The station's login ended meanwhile (Carrel restarted while the money went in): the patron's
      // documents and the balance from before were left on screen under 'was added to your balance'.
      if (error instanceof Problem && error.code === 'station_session_expired') {
        await logout();
        return alertText(`${said} You were logged out meanwhile: log in again to print.`, ok);
      }
    }
    alertText(said, ok);
  }

  return { end: endTopUp, underWay: () => topUp !== undefined || settling };
}
