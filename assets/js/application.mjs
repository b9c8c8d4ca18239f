// The site's script: starts GOV.UK Frontend's components (service navigation's menu button on
// small screens, and any component a page uses) and our own small enhancements. Every page works
// without it. scripts/build-assets copies govuk-frontend.min.js and these modules to static/dist/.
import { initAll } from "./govuk-frontend.min.js";
import { initFilterLists } from "./filter-list.mjs";

initAll();
initFilterLists();
