// The removal form's two helpers; the form works without them (CSS shows the sections for
// the chosen ground, the server validates). A file of its own, not inline: CSP-friendly.
(function () {
  "use strict";
  // The error summary takes focus, so that a screen reader announces it and a keyboard
  // user starts from the list of links to the fields to fix.
  var summary = document.getElementById("form-errors");
  if (summary) {
    summary.focus();
    // A link in the summary puts the cursor in its field, not only the page at it.
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var field = link && document.getElementById(link.getAttribute("href").slice(1));
      if (field) {
        event.preventDefault();
        field.focus();
        field.scrollIntoView({ block: "center" });
      }
    });
  }

  // As the requester types, say which addresses are ours and which article each is.
  var urls = document.getElementById("id_urls");
  var output = document.getElementById("urls-check");
  if (!urls || !output || !window.fetch) {
    return;
  }
  var endpoint = output.getAttribute("data-endpoint");
  var timer = null;
  var last = "";
  function show(results) {
    output.textContent = "";
    results.forEach(function (result) {
      var line = document.createElement("li");
      line.textContent = result.url + " — " + result.message;
      line.className = result.known ? "url-known" : "url-unknown";
      output.appendChild(line);
    });
  }
  function check() {
    var value = urls.value.trim();
    if (value === last) {
      return;
    }
    last = value;
    if (!value) {
      output.textContent = "";
      return;
    }
    fetch(endpoint + "?" + new URLSearchParams({ urls: value }), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.ok ? response.json() : { results: [] };
      })
      .then(function (data) {
        show(data.results || []);
      })
      .catch(function () {});
  }
  urls.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  });
  check();
})();
