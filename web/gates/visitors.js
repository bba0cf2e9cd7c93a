/**
 * The gates as the alarm page shows them: today's visitors — in, out and inside now — summed over
 * the gates that count people, each gate's own line, and what desk staff are told of a gate that is
 * not (fully) connected, following its health live.
 */

/**
 * The figures of `gates` (gate id → { name, status, visitors }), drawn into the page's totals and
 * its list of gates (`$` finds an element by id).
 */
export function gateFigures(gates, $) {
  function setVisitors(id, visitors) {
    const gate = gates.get(id);
    if (!gate || !visitors) return;
    gate.visitors = visitors;
    renderVisitors();
  }

  /** A gate's health as Carrel reads it: a gate not connected raises no alarm here, and the page says so. */
  function setStatus(id, status) {
    const gate = gates.get(id);
    if (!gate || !status || gate.status === status) return;
    gate.status = status;
    renderVisitors();
  }

  /** What desk staff are told of a gate that is not (fully) connected; nothing when it is. */
  function gateTrouble(gate) {
    if (gate.status === 'offline')
      return `${gate.name} is not connected: its alarms cannot reach this page. Check the gate's power and network cable, or call IT.`;
    if (gate.status === 'degraded')
      return `${gate.name} is not answering properly: its alarms may not reach this page. If it goes on, call IT.`;
    return null;
  }

  function renderVisitors() {
    const counted = [...gates.values()].filter((gate) => gate.visitors);
    const sum = (pick) => counted.reduce((total, gate) => total + pick(gate.visitors), 0);
    const show = (id, value) => {
      $(id).textContent = counted.length ? String(value) : '–';
    };
    show(
      'total-in',
      sum((v) => v.today.in),
    );
    show(
      'total-out',
      sum((v) => v.today.out),
    );
    show(
      'total-occupancy',
      sum((v) => v.occupancy),
    );
    const list = $('gates');
    list.replaceChildren(
      ...[...gates.entries()].map(([id, gate]) => {
        const item = document.createElement('li');
        item.dataset.gate = id;
        item.dataset.status = gate.status ?? 'online';
        item.textContent = gate.visitors
          ? `${gate.name}: ${gate.visitors.today.in} in, ${gate.visitors.today.out} out, ${gate.visitors.occupancy} inside`
          : `${gate.name}: no people counter`;
        const trouble = gateTrouble(gate);
        if (trouble) {
          const warning = document.createElement('strong');
          warning.className = 'trouble';
          warning.textContent = trouble;
          item.append(' ', warning);
        }
        return item;
      }),
    );
  }

  return { setVisitors, setStatus, render: renderVisitors };
}
