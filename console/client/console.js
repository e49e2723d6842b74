// The console's own script, after htmx: streams logs into <pre data-stream="URL"> as they grow,
// and asks before a form marked data-confirm is sent.
(function () {
  // Error answers (a 4xx naming the field at fault, a 403) are pages too: swap them in like any other.
  htmx.config.responseHandling = [{ code: '204', swap: false }, { code: '...', swap: true }];
  // A refresh that fails (a restart, a lost session) keeps what is shown; the next one tries again.
  document.addEventListener('htmx:beforeSwap', function (e) {
    if (e.detail.xhr.status >= 400 && e.detail.elt.hasAttribute('hx-trigger')) e.detail.shouldSwap = false;
  });
  // A log streams in over one response for as long as the server keeps it open. A build log whose
  // response ends before the build does (X-Build-Finished: false) is asked for again from the byte
  // reached, at once when the answer brought text, else after a second.
  function stream(pre) {
    if (pre.dataset.streaming) return;
    pre.dataset.streaming = '1';
    var status = document.getElementById(pre.dataset.status || '');
    var decoder = new TextDecoder();
    var offset = 0;
    function done(text) { if (status) status.textContent = text; pre.dataset.done = '1'; }
    function open() {
      if (!pre.isConnected) return;
      var url = pre.dataset.stream + (pre.dataset.resume ? (pre.dataset.stream.indexOf('?') < 0 ? '?' : '&') + 'offset=' + offset : '');
      var got = 0;
      fetch(url, { credentials: 'same-origin' }).then(function (res) {
        if (!res.ok || !res.body) { pre.textContent += '\n[the log could not be read: HTTP ' + res.status + ']'; return; }
        var finished = res.headers.get('X-Build-Finished') !== 'false';
        var reader = res.body.getReader();
        function next() {
          return reader.read().then(function (r) {
            if (r.done) {
              if (finished || !pre.dataset.resume) return done('Log complete.');
              return void setTimeout(open, got ? 0 : 1000);
            }
            got += r.value.byteLength;
            offset += r.value.byteLength;
            var stick = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
            pre.textContent += decoder.decode(r.value, { stream: true });
            if (stick) pre.scrollTop = pre.scrollHeight;
            return next();
          });
        }
        return next();
      }, function () { setTimeout(open, 2000); });
    }
    open();
  }
  function scan(root) {
    (root.querySelectorAll ? root : document).querySelectorAll('pre[data-stream]').forEach(stream);
  }
  document.addEventListener('DOMContentLoaded', function () { scan(document); });
  document.addEventListener('htmx:load', function (e) { scan(e.target); });
  document.addEventListener('submit', function (e) {
    var msg = e.target.getAttribute && e.target.getAttribute('data-confirm');
    if (msg && !window.confirm(msg)) e.preventDefault();
  }, true);
})();
