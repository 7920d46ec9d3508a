// In the sign form framed on another site: tells the page around it how tall this page is, so
// the partner's embed.js can fit the frame. Only a number leaves; without a parent, nothing.
(function () {
  "use strict";
  if (window.parent === window) { return; }
  var last = 0;
  function send() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) { return; }
    last = height;
    window.parent.postMessage({ type: "signon:height", height: height }, "*");
  }
  send();
  window.addEventListener("load", send);
  if (window.ResizeObserver) {
    new window.ResizeObserver(send).observe(document.documentElement);
  } else {
    window.addEventListener("resize", send);
  }
})();
