// The counter form: "Add another item" copies the last item row, empty, with the next index.
// Without JavaScript the form still works with one item.
(function () {
  "use strict";
  var form = document.getElementById("purchase-form");
  if (!form) { return; }
  var rows = document.getElementById("item-rows");
  var button = document.getElementById("add-item");
  button.hidden = false;
  button.addEventListener("click", function () {
    var all = rows.querySelectorAll(".item-row");
    var last = all[all.length - 1];
    var index = all.length;
    var copy = last.cloneNode(true);
    var from = "items." + last.dataset.index + ".";
    var to = "items." + index + ".";
    copy.dataset.index = String(index);
    copy.querySelector(".item-number").textContent = String(index + 1);
    copy.querySelectorAll(".error").forEach(function (el) { el.remove(); });
    copy.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    copy.querySelectorAll("input, select, label, p").forEach(function (el) {
      ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) {
          el.setAttribute(attr, value.split(from).join(to)
            .split(from.replace(/\./g, "-")).join(to.replace(/\./g, "-")));
        }
      });
      el.removeAttribute("aria-invalid");
      if (el.tagName === "INPUT") { el.value = ""; }
      if (el.tagName === "SELECT") { el.selectedIndex = 0; }
    });
    rows.appendChild(copy);
    var first = copy.querySelector("select, input");
    if (first) { first.focus(); }
  });
})();
