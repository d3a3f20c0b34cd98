/* Box drawing for image redaction (cases/templates/cases/redact_image.html): the image on a
   canvas at its natural size (scaled by CSS), regions marked by dragging, kept in the form's
   text field as "x,y,width,height; ..." in pixels of the image. Without JavaScript the same
   field is typed by hand. No library. */
(function () {
  "use strict";
  var root = document.getElementById("box-editor");
  if (!root) { return; }
  var canvas = root.querySelector("canvas");
  var field = document.getElementById(root.dataset.field);
  var list = document.getElementById("box-list");
  var clear = document.getElementById("clear-boxes");
  var ctx = canvas.getContext("2d");
  var image = new Image();
  var boxes = [];
  var drag = null;

  function parse(text) {
    var found = [];
    text.split(/[;\n]/).forEach(function (part) {
      var m = part.trim().match(/^(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)$/);
      if (m) { found.push([+m[1], +m[2], +m[3], +m[4]]); }
    });
    return found;
  }

  function sync() {
    field.value = boxes.map(function (b) { return b.join(","); }).join("; ");
    list.textContent = "";
    boxes.forEach(function (b, i) {
      var li = document.createElement("li");
      var label = document.createElement("span");
      label.textContent = root.dataset.boxLabel + ": " + b.join(",");
      label.dir = "ltr";
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link";
      remove.textContent = root.dataset.removeLabel;
      remove.addEventListener("click", function () { boxes.splice(i, 1); sync(); draw(); });
      li.appendChild(label);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(remove);
      list.appendChild(li);
    });
    root.dataset.boxes = String(boxes.length);
  }

  function draw() {
    if (!image.naturalWidth) { return; }
    ctx.drawImage(image, 0, 0);
    ctx.fillStyle = "#000";
    boxes.forEach(function (b) { ctx.fillRect(b[0], b[1], b[2], b[3]); });
    if (drag) {
      var r = rect(drag);
      ctx.lineWidth = Math.max(2, canvas.width / 400);
      ctx.strokeStyle = "#e11";
      ctx.fillStyle = "rgba(0, 0, 0, 0.45)";
      ctx.fillRect(r[0], r[1], r[2], r[3]);
      ctx.strokeRect(r[0], r[1], r[2], r[3]);
    }
  }

  function point(event) {
    var box = canvas.getBoundingClientRect();
    var x = (event.clientX - box.left) * canvas.width / box.width;
    var y = (event.clientY - box.top) * canvas.height / box.height;
    return [Math.min(Math.max(0, Math.round(x)), canvas.width),
            Math.min(Math.max(0, Math.round(y)), canvas.height)];
  }

  function rect(d) {
    var x = Math.min(d[0], d[2]), y = Math.min(d[1], d[3]);
    return [x, y, Math.abs(d[2] - d[0]), Math.abs(d[3] - d[1])];
  }

  canvas.addEventListener("pointerdown", function (event) {
    var p = point(event);
    drag = [p[0], p[1], p[0], p[1]];
    canvas.setPointerCapture(event.pointerId);
    event.preventDefault();
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!drag) { return; }
    var p = point(event);
    drag[2] = p[0];
    drag[3] = p[1];
    draw();
  });
  function finish() {
    if (!drag) { return; }
    var r = rect(drag);
    drag = null;
    if (r[2] >= 2 && r[3] >= 2) { boxes.push(r); sync(); }
    draw();
  }
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", function () { drag = null; draw(); });
  field.addEventListener("input", function () { boxes = parse(field.value); sync(); draw(); field.focus(); });
  clear.addEventListener("click", function () { boxes = []; sync(); draw(); });

  image.addEventListener("load", function () {
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    boxes = parse(field.value);
    sync();
    draw();
    root.dataset.ready = "1";
  });
  image.src = root.dataset.src;
}());
