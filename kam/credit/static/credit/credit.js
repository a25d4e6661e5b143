/* The credit pages: confirmation before a vote, a withdrawal or a revocation (accepted, the
   server skips its own confirmation page), and the lower limit / shorter terms shown only
   for a vote that approves with less. Every form also works without this script. */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.dataset || !form.dataset.confirm) { return; }
    if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); return; }
    var flag = form.querySelector('input[name$="confirmed"]');
    if (flag) { flag.value = "1"; }
  });

  var reduced = document.getElementById("reduced-fields");
  function showReduced() {
    if (!reduced) { return; }
    var picked = document.querySelector('#vote-form input[name="vote-choice"]:checked');
    var errors = reduced.querySelector(".field-errors");
    reduced.hidden = !errors && !(picked && picked.value === reduced.dataset.for);
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.name === "vote-choice") { showReduced(); }
  });
  showReduced();
})();
