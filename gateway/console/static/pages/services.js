// HR, finance and pay pages: offered once the gateway serves the RPCs they call.

/** [route, title, roles, render, operationId] as app.js reads them. */
export function PAGES() {
  return [];
}
