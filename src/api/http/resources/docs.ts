import type { FastifyInstance } from 'fastify';

/**
 * `/docs`: a self-contained page that renders the OpenAPI document (no CDN, no
 * bundle: the desk may have no internet), and `/docs/openapi.json`.
 */
export function docsRoutes(app: FastifyInstance, openApi: () => object): void {
  app.get('/docs/openapi.json', async (_request, reply) => {
    reply.type('application/json; charset=utf-8');
    return JSON.stringify(openApi());
  });
  app.get('/docs', async (_request, reply) => {
    reply.type('text/html; charset=utf-8');
    return DOCS_PAGE;
  });
}

const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Carrel API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem 2rem;color:#1d232b}
h1{margin-bottom:0}.op{border:1px solid #d7dde3;border-radius:6px;margin:.6rem 0;padding:.5rem .8rem}
.m{display:inline-block;min-width:4.2rem;font-weight:600;font-family:monospace}.GET{color:#1766a6}.POST{color:#2d7d32}
.DELETE{color:#b3261e}.PUT{color:#8a5a00}code,pre{font-family:ui-monospace,monospace;font-size:13px}
pre{background:#f4f6f8;padding:.5rem;overflow:auto;max-height:20rem}.scopes{color:#5b6670;font-size:13px}
details summary{cursor:pointer}
</style></head><body>
<h1>Carrel gateway API</h1><p id="desc"></p>
<p>OpenAPI document: <a href="/docs/openapi.json">/docs/openapi.json</a>. Events: WebSocket <code>/api/v1/events</code>; a self-check session's items: WebSocket <code>/api/v1/sessions/:id/events</code>. Demo kiosk: <a href="/kiosk">/kiosk</a>.</p>
<div id="ops">Loading…</div>
<script>
fetch('/docs/openapi.json').then(r=>r.json()).then(doc=>{
  document.getElementById('desc').textContent=doc.info.description;
  const ops=document.getElementById('ops');ops.textContent='';
  for(const [path,methods] of Object.entries(doc.paths)){
    for(const [method,op] of Object.entries(methods)){
      const d=document.createElement('div');d.className='op';
      const h=document.createElement('div');
      const m=document.createElement('span');m.className='m '+method.toUpperCase();m.textContent=method.toUpperCase();
      const p=document.createElement('code');p.textContent=path;
      h.append(m,p,document.createTextNode(' — '+op.summary));d.append(h);
      if(op['x-carrel-scopes']){const s=document.createElement('div');s.className='scopes';
        s.textContent='scopes: '+op['x-carrel-scopes'].join(', ');d.append(s);}
      const det=document.createElement('details');const sum=document.createElement('summary');sum.textContent='schema';
      const pre=document.createElement('pre');
      pre.textContent=JSON.stringify({parameters:op.parameters,requestBody:op.requestBody,responses:op.responses},null,2);
      det.append(sum,pre);d.append(det);ops.append(d);
    }
  }
}).catch(e=>{document.getElementById('ops').textContent='Could not load the API document: '+e});
</script></body></html>`;
