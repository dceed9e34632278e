// Improves the page where JavaScript runs; every step works without it.
// - The office that handles the chosen country is named at once ("Find the office" is for
//   browsers without JavaScript, and goes).
// - The list of offices gets a filter box: typing keeps only the offices whose name holds it.
"use strict";
(function () {
  var country = document.getElementById("country");
  var office = document.getElementById("office");
  var found = document.getElementById("found");
  document.querySelectorAll("[data-find]").forEach(function (button) { button.remove(); });

  function say(lines) {
    found.textContent = "";
    lines.forEach(function (parts) {
      var p = document.createElement("p");
      parts.forEach(function (part) {
        if (typeof part === "string") {
          p.appendChild(document.createTextNode(part));
        } else {
          var strong = document.createElement("strong");
          strong.className = "office-name";
          strong.textContent = part.strong;
          p.appendChild(strong);
        }
      });
      found.appendChild(p);
    });
  }

  function show() {
    if (!found || !country || !office) { return; }
    var chosen = office.options[office.selectedIndex];
    var place = country.options[country.selectedIndex];
    var id = chosen && chosen.value ? chosen.value : (place ? place.getAttribute("data-office") || "" : "");
    if (!chosen.value && (!place || !place.value)) { say([]); return; }
    if (!id) {
      say([[found.getAttribute("data-none").replace("{country}", place.text)]]);
      return;
    }
    var target = office.querySelector('option[value="' + id + '"]');
    var lines = [[found.getAttribute("data-intro") + " ", { strong: target.getAttribute("data-name") },
      (found.getAttribute("data-comma") || ", ") + target.getAttribute("data-where") + "."]];
    if (!chosen.value && place && place.value && target.getAttribute("data-country") !== place.value) {
      lines.push([found.getAttribute("data-abroad").replace("{country}", place.text)]);
    }
    say(lines);
  }

  if (country && office && found) {
    country.addEventListener("change", show);
    office.addEventListener("change", show);
  }

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
}());
