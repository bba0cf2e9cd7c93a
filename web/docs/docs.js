/*
 * The API page: Swagger UI (swagger-ui-dist, served by Carrel itself from its installed modules,
 * no CDN) rendering the OpenAPI document Carrel generates from its operations. "Authorize" takes
 * a bearer token (the desk's auth.tokens) and "Try it out" calls this desk. The token lives in
 * this page only: not persisted, never put in the address.
 */
/* global SwaggerUIBundle */
(() => {
  const problem = document.getElementById('problem');
  if (typeof SwaggerUIBundle !== 'function') {
    problem.textContent = 'Swagger UI is not installed with this Carrel (node_modules/swagger-ui-dist).';
    problem.hidden = false;
    return;
  }
  window.ui = SwaggerUIBundle({
    url: '/docs/openapi.json',
    dom_id: '#swagger-ui',
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    deepLinking: true,
    // No call to validator.swagger.io: the desk may have no internet, and the CSP forbids it.
    validatorUrl: null,
    // Shows x-carrel-scopes: which token scopes may call an operation.
    showExtensions: true,
    displayRequestDuration: true,
    docExpansion: 'list',
    defaultModelsExpandDepth: 0,
    persistAuthorization: false,
    tryItOutEnabled: false,
    onComplete: () => {
      problem.hidden = true;
    },
  });
})();
