// Progressive enhancement only: every form works without this file.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      // After the page (and its #fragment scroll) has settled, so the focus sticks.
      window.addEventListener("load", function () { summary.focus(); });
    }
    // Links in the error summary move focus to the field, not just scroll to it.
    document.querySelectorAll(".error-summary a[href^='#']").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var field = document.getElementById(link.getAttribute("href").slice(1));
        if (field) {
          event.preventDefault();
          field.focus();
        }
      });
    });
    // Copy buttons: shown only where the clipboard works; without them the text stays selectable.
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      if (!navigator.clipboard) { return; }
      button.hidden = false;
      var label = button.textContent;
      button.addEventListener("click", function () {
        var source = document.getElementById(button.getAttribute("data-copy"));
        navigator.clipboard.writeText(source.value).then(function () {
          button.textContent = "Copied";
          window.setTimeout(function () { button.textContent = label; }, 2000);
        });
      });
    });
    // "Select all" / "Select none" links reload the page with boxes ticked; here they tick at once.
    document.querySelectorAll("[data-select-links] a[data-select]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var form = link.closest("form");
        if (!form) { return; }
        event.preventDefault();
        var on = link.getAttribute("data-select") === "all";
        form.querySelectorAll("input[type=checkbox].row-check").forEach(function (box) { box.checked = on; });
      });
    });
    // A file over its size limit is refused at once, instead of after minutes of uploading.
    document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
      var message = document.getElementById(input.id + "-size");
      input.addEventListener("change", function () {
        var file = input.files && input.files[0];
        var tooLarge = file && file.size > Number(input.getAttribute("data-max-bytes"));
        if (message) {
          message.hidden = !tooLarge;
          message.textContent = tooLarge ? "This file is larger than 2 MB, so it was not chosen. Choose a smaller logo file, or none." : "";
        }
        if (tooLarge) {
          input.value = "";
          input.setAttribute("aria-invalid", "true");
        } else {
          input.removeAttribute("aria-invalid");
        }
      });
    });
    // A second click while the first submit is on its way sends nothing twice.
    document.querySelectorAll("form").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        var button = form.querySelector("button[type=submit]");
        if (!button) { return; }
        if (form.dataset.submitted) {
          event.preventDefault();
          return;
        }
        form.dataset.submitted = "1";
        window.setTimeout(function () { button.setAttribute("aria-disabled", "true"); button.disabled = true; }, 0);
        window.setTimeout(function () { button.disabled = false; button.removeAttribute("aria-disabled"); delete form.dataset.submitted; }, 8000);
      });
    });
  });
})();
