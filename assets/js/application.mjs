// The site's script: starts GOV.UK Frontend's components (service navigation's menu button on
// small screens, and any component a page uses). Every page works without it.
// scripts/build-assets copies govuk-frontend.min.js beside this file in static/dist/.
import { initAll } from "./govuk-frontend.min.js";

initAll();
