// signon's sign form on a partner's page: paste
//   <script src="https://SIGNON-SITE/static/embed.js" async></script>
// next to the form's <iframe>, and the frame takes the form's height. Without it the frame
// keeps its own height and scrolls. Only messages from the site this script came from are read,
// and only the frame that sent one is resized.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src || !window.URL) { return; }
  var site = new window.URL(script.src, document.baseURI).origin;
  window.addEventListener("message", function (event) {
    if (event.origin !== site) { return; }
    var data = event.data;
    if (!data || typeof data !== "object" || data.type !== "signon:height") { return; }
    var height = data.height;
    if (typeof height !== "number" || !isFinite(height) || height <= 0) { return; }
    var frames = document.getElementsByTagName("iframe");
    for (var i = 0; i < frames.length; i += 1) {
      if (frames[i].contentWindow === event.source) {
        frames[i].style.height = Math.min(Math.ceil(height), 20000) + "px";
        return;
      }
    }
  });
})();
