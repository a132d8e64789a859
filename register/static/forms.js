// Form habits: the error summary takes focus when a page shows it, and its links move focus
// to the field they name. Without JavaScript the links still jump to the field.
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) { return; }
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) { return; }
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) { return; }
    event.preventDefault();
    target.scrollIntoView({ block: "center" });
    target.focus();
  });
})();
