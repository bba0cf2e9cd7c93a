/** The simulated card printer's page: its state and the last cards out, front and back. */
export function cardPrinterPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Simulated card printer</title>
<style>body{font-family:sans-serif;margin:1.5em}img{width:340px;border:1px solid #999;border-radius:12px;margin:4px}
.card{margin-bottom:1em}.rejected{opacity:.5}</style></head>
<body><h1>Simulated card printer</h1><pre id="state"></pre><div id="cards"></div>
<script>
async function refresh() {
  const state = await (await fetch('/api/state')).json();
  document.getElementById('state').textContent = JSON.stringify(state, null, 2);
  const cards = await (await fetch('/api/cards')).json();
  const list = document.getElementById('cards');
  list.replaceChildren(...cards.reverse().map((card) => {
    const div = document.createElement('div');
    div.className = 'card ' + card.outcome;
    const title = document.createElement('p');
    title.textContent = '#' + card.number + ' ' + card.outcome + ' ' + card.at + ' track 2: ' + (card.tracks[2] ?? '-');
    div.append(title);
    for (const side of ['front', 'back']) {
      const img = document.createElement('img');
      img.alt = side;
      img.src = '/api/cards/' + card.number + '/' + side + '.png';
      div.append(img);
    }
    return div;
  }));
}
refresh();
setInterval(refresh, 2000);
</script></body></html>`;
}
