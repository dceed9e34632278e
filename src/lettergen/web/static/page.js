// Improves the page where JavaScript runs; every step works without it.
// The office list gets a filter box: typing keeps only the offices whose name holds the text.
"use strict";
document.querySelectorAll("input[data-filters]").forEach(function (box) {
  var select = document.getElementById(box.getAttribute("data-filters"));
  if (!select) { return; }
  box.parentElement.hidden = false;
  var options = Array.prototype.slice.call(select.options, 1);
  box.addEventListener("input", function () {
    var wanted = box.value.trim().toLocaleLowerCase();
    options.forEach(function (option) {
      var keep = !wanted || option.text.toLocaleLowerCase().indexOf(wanted) !== -1;
      option.hidden = !keep;
      option.disabled = !keep;
    });
  });
});
