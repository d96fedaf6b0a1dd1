// Start GOV.UK Frontend's components (the error summary takes focus, the menu button, …),
// and start them again in what HTMX swaps in: a refused form comes back with its own summary.
import { initAll } from "/static/govuk/govuk-frontend.min.js";

initAll();
document.addEventListener("htmx:load", (event) => {
  if (event.detail.elt !== document.body) initAll({ scope: event.detail.elt });
});
