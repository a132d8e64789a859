// Starts Swagger UI on the API docs page, with the spec and settings the page names in its
// data attributes (an external script, so the page needs no inline script in its CSP).
(function () {
  "use strict";
  var container = document.getElementById("swagger-ui-container");
  var config = JSON.parse(container.getAttribute("data-config") || "{}");
  config.url = container.getAttribute("data-spec-url");
  config.dom_id = "#swagger-ui-container";
  window.ui = window.SwaggerUIBundle(config);
})();
