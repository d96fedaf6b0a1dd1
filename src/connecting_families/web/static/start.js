// Start GOV.UK Frontend's components (the error summary takes focus, the menu button, …),
// and start them again in what HTMX swaps in: a refused form comes back with its own summary,
// and the page's title then says "Error: " as it does when the whole page is shown again.
import { initAll } from "/static/govuk/govuk-frontend.min.js";

initAll();
document.addEventListener("htmx:load", (event) => {
  const swapped = event.detail.elt;
  if (swapped === document.body) return;
  initAll({ scope: swapped });
  if (swapped.querySelector(".govuk-error-summary") && !document.title.startsWith("Error: ")) {
    document.title = `Error: ${document.title}`;
  }
});
