// The import page while its job runs: fetch the page again every few seconds and replace
// the status region (announced by its aria-live), until the job has finished. Without
// JavaScript the page reloads itself instead (its <noscript> refresh).
(function () {
  "use strict";
  var region = document.getElementById("import-status");
  if (!region || !region.dataset.pollSeconds || !window.fetch || !window.DOMParser) {
    return;
  }
  var delay = Number(region.dataset.pollSeconds) * 1000;

  function poll() {
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("import-status");
        if (!fresh) {
          return;
        }
        region.innerHTML = fresh.innerHTML;
        if (fresh.dataset.pollSeconds) {
          window.setTimeout(poll, delay);
        } else {
          delete region.dataset.pollSeconds; // finished: the region now says how it ended
        }
      })
      .catch(function () {
        window.setTimeout(poll, delay * 2);
      });
  }

  window.setTimeout(poll, delay);
})();
