// landlord dashboard, new tenant form: the modules the chosen template
// and the checked modules require are checked and marked required, so
// the browser will not send the form without them. The server checks the
// manifest again whatever the browser sent.
(function () {
  "use strict";
  var form = document.querySelector("form.newtenant");
  if (!form) return;
  function list(el) {
    var v = el.getAttribute("data-requires");
    return v ? v.split(",") : [];
  }
  function update() {
    var boxes = {};
    form.querySelectorAll('input[name="modules"]').forEach(function (b) { boxes[b.value] = b; });
    var need = {}, why = {}, queue = [];
    var tmpl = form.querySelector('input[name="template"]:checked');
    if (tmpl) list(tmpl).forEach(function (m) { queue.push(m); why[m] = "template " + tmpl.value; });
    Object.keys(boxes).forEach(function (m) {
      if (boxes[m].checked && !boxes[m].hasAttribute("data-auto")) {
        list(boxes[m]).forEach(function (r) { queue.push(r); if (!why[r]) why[r] = "module " + m; });
      }
    });
    while (queue.length) {
      var m = queue.shift();
      if (need[m]) continue;
      need[m] = true;
      if (boxes[m]) list(boxes[m]).forEach(function (r) { queue.push(r); if (!why[r]) why[r] = "module " + m; });
    }
    Object.keys(boxes).forEach(function (m) {
      var b = boxes[m], note = document.getElementById("needs-" + m);
      if (need[m]) {
        if (!b.checked) { b.checked = true; b.setAttribute("data-auto", ""); }
        b.required = true;
        if (note) note.textContent = " Required by " + why[m] + ".";
      } else {
        if (b.hasAttribute("data-auto")) { b.checked = false; b.removeAttribute("data-auto"); }
        b.required = false;
        if (note) note.textContent = "";
      }
    });
  }
  form.addEventListener("change", function (e) {
    if (e.target.name === "modules") e.target.removeAttribute("data-auto");
    update();
  });
  update();
})();
