// Loaded as an external module (the Content-Security-Policy allows no
// inline script). Marks the page as JavaScript-enabled, then starts every
// GOV.UK Frontend component on it.
import { initAll } from "./govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
