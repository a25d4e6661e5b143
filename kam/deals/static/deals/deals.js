/* The pipeline pages: confirmation of irreversible steps (losing a deal or a prospect,
   converting a prospect) and moving a deal by dragging its card to another column of the
   board. Every form also works without this script (a confirmation page, a button per card). */
(function () {
  "use strict";

  // Ask first; accepted, the server skips its own confirmation page.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.dataset || !form.dataset.confirm) { return; }
    var flag = form.querySelector('input[name="confirmed"]');
    if (flag && flag.value === "1") { return; }
    if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); return; }
    if (flag) { flag.value = "1"; }
  });

  // The board: drag a card onto another stage's column; the move is an ordinary POST (the
  // rulebook may refuse it: the deal's card then says why).
  var dragged = null;
  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".deal-card[draggable=true]");
    if (!card) { return; }
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.deal);
  });
  document.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("dragging"); }
    dragged = null;
    document.querySelectorAll(".board-column.drop-target").forEach(function (c) {
      c.classList.remove("drop-target");
    });
  });
  function columnOf(event) {
    return event.target.closest && event.target.closest(".board-column");
  }
  document.addEventListener("dragover", function (event) {
    var column = columnOf(event);
    if (!dragged || !column || column.contains(dragged)) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    column.classList.add("drop-target");
  });
  document.addEventListener("dragleave", function (event) {
    var column = columnOf(event);
    if (column && !column.contains(event.relatedTarget)) { column.classList.remove("drop-target"); }
  });
  document.addEventListener("drop", function (event) {
    var column = columnOf(event);
    if (!dragged || !column || column.contains(dragged)) { return; }
    event.preventDefault();
    var form = document.getElementById("board-move-form");
    if (!form) { return; }
    form.action = dragged.dataset.moveUrl;
    form.querySelector('input[name="stage"]').value = column.dataset.stage;
    form.submit();
  });
})();
