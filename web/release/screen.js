/**
 * The station's screens and its alert line: which screen is shown, and what the patron is told
 * above it — one line, or what became of each job a press of Print (or Print all) sent.
 */
export const $ = (id) => document.getElementById(id);

export function alertText(text, ok = false) {
  $('alert').textContent = text ?? '';
  $('alert').className = ok ? 'alert ok' : 'alert';
  $('alert').hidden = !text;
}

/**
 * Shows one screen and puts the keyboard's focus on it: the login screen's first field shown (the
 * card, or the PIN when the card is on the pad or was scanned), another screen's heading (a
 * screen reader reads where the patron now is; Tab goes on to its buttons). The focus was left on
 * the screen just hidden: nothing showed where it was, and a screen reader said nothing.
 */
export function show(screen) {
  for (const id of ['screen-login', 'screen-jobs', 'screen-topup']) $(id).hidden = id !== screen;
  const target =
    screen === 'screen-login'
      ? [$('card'), $('pin')].find((input) => input.checkVisibility())
      : $(screen).querySelector('h1');
  target?.focus();
}

/**
 * What became of each job a press of Print (or Print all) sent: one line each, so a patron who
 * printed three documents sees the one that failed and that it was not charged, not only the last.
 */
export function showOutcomes(outcomes) {
  if (outcomes.length === 0) return alertText();
  const failed = outcomes.filter((outcome) => !outcome.ok).length;
  if (outcomes.length === 1) return alertText(outcomes[0].text, failed === 0);
  const printing = outcomes.length - failed;
  const summary = document.createElement('p');
  summary.textContent =
    failed === 0
      ? `All ${outcomes.length} documents were sent to the printer.`
      : `${printing} of ${outcomes.length} documents ${printing === 1 ? 'was' : 'were'} sent to the printer; ${failed} ${failed === 1 ? 'was' : 'were'} not.`;
  const list = document.createElement('ul');
  list.className = 'outcomes';
  list.append(
    ...outcomes.map((outcome) => {
      const li = document.createElement('li');
      li.className = outcome.ok ? 'ok' : 'failed';
      li.textContent = outcome.text;
      return li;
    }),
  );
  $('alert').replaceChildren(summary, list);
  $('alert').className = failed === 0 ? 'alert ok' : 'alert';
  $('alert').hidden = false;
}
