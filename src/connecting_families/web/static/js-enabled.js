// GOV.UK Frontend's first line of the body, as a file (the pages allow no inline script):
// its styles for JavaScript, and for the browsers its components support.
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
