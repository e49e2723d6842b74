// The console's own script, after htmx: keeps <div data-watch="URL" data-since="CURSOR"> live by a
// long poll, streams logs into <pre data-stream="URL"> as they grow, and asks before a form marked
// data-confirm is sent. What is followed is kept in WeakSets, not in attributes, so that a page
// htmx restores from its history is followed afresh.
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
  var streaming = new WeakSet();
  var streams = [];
  function stream(pre) {
    if (streaming.has(pre)) return;
    streaming.add(pre);
    // A page restored from htmx's history holds the text of then: the log is read again whole.
    pre.textContent = '';
    delete pre.dataset.done;
    var ctl = new AbortController();
    streams.push({ el: pre, ctl: ctl });
    var status = document.getElementById(pre.dataset.status || '');
    var decoder = new TextDecoder();
    var offset = 0;
    function done(text) { if (status) status.textContent = text; pre.dataset.done = '1'; }
    function open() {
      if (!pre.isConnected) return;
      var url = pre.dataset.stream + (pre.dataset.resume ? (pre.dataset.stream.indexOf('?') < 0 ? '?' : '&') + 'offset=' + offset : '');
      var got = 0;
      fetch(url, { credentials: 'same-origin', signal: ctl.signal }).then(function (res) {
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
      }).catch(function () {
        // Cut off (a restart): a build log goes on from the byte reached; a pod log, which starts
        // from its last lines, is not asked for again once some arrived.
        if (!ctl.signal.aborted && (pre.dataset.resume || !got)) setTimeout(open, 2000);
      });
    }
    open();
  }
  // A watched part is asked for again with the cursor it shows; the server answers when something
  // in it changed (200: the new part, with the next cursor) or after a while (204). Held requests
  // take one of the browser's few connections to this server, so one is never left behind: it is
  // ended when its part leaves the page (a boosted page change) and while the tab is hidden.
  var watchers = [];
  var watched = new WeakSet();
  function watch(el) {
    if (watched.has(el)) return;
    watched.add(el);
    var w = { el: el, ctl: null, timer: null, fails: 0 };
    watchers.push(w);
    function later(ms) { clearTimeout(w.timer); w.timer = setTimeout(ask, ms); }
    function ask() {
      w.timer = null;
      if (!el.isConnected) return stop(w);
      if (document.hidden || w.ctl) return;
      var ctl = (w.ctl = new AbortController());
      var started = Date.now();
      var url = el.dataset.watch + (el.dataset.since ? '?since=' + encodeURIComponent(el.dataset.since) : '');
      fetch(url, { credentials: 'same-origin', signal: ctl.signal }).then(function (res) {
        w.ctl = null;
        // Sent to sign in: the session is over, and the page says so on the next click.
        if (res.redirected) return stop(w);
        if (res.status === 204) { w.fails = 0; return later(Date.now() - started < 1000 ? 2000 : 0); }
        if (!res.ok) {
          // A cursor the server no longer takes: ask for the whole part again.
          if (res.status === 400 || res.status === 422) delete el.dataset.since;
          w.fails++;
          return later(Math.min(30000, 1000 * Math.pow(2, w.fails)));
        }
        return res.text().then(function (html) {
          if (!el.isConnected) return stop(w);
          var box = document.createElement('div');
          box.innerHTML = html;
          var next = box.firstElementChild;
          if (!next || next.id !== el.id) return later(3000);
          // Keyboard focus on a link of the part stays on that link in the new one.
          var active = document.activeElement;
          var href = active && el.contains(active) ? active.getAttribute('href') : null;
          stop(w);
          el.replaceWith(next);
          htmx.process(next);
          var again = href ? next.querySelector('a[href="' + CSS.escape(href) + '"]') : null;
          if (again) again.focus();
          watch(next);
        });
      }).catch(function () {
        if (ctl.signal.aborted) return;
        w.ctl = null;
        w.fails++;
        later(Math.min(30000, 1000 * Math.pow(2, w.fails)));
      });
    }
    ask();
  }
  function stop(w) {
    if (w.ctl) w.ctl.abort();
    w.ctl = null;
    clearTimeout(w.timer);
    w.timer = null;
    var i = watchers.indexOf(w);
    if (i >= 0) watchers.splice(i, 1);
  }
  document.addEventListener('visibilitychange', function () {
    watchers.slice().forEach(function (w) {
      if (document.hidden) {
        if (w.ctl) w.ctl.abort();
        w.ctl = null;
        clearTimeout(w.timer);
        w.timer = null;
      } else if (!w.ctl && !w.timer) {
        // Back in view: at once, from the cursor shown, so what changed meanwhile arrives now.
        w.timer = setTimeout(function () { watched.delete(w.el); stop(w); watch(w.el); }, 0);
      }
    });
  });
  function scan(root) {
    var within = root.querySelectorAll ? root : document;
    within.querySelectorAll('pre[data-stream]').forEach(stream);
    if (within.matches && within.matches('[data-watch]')) watch(within);
    within.querySelectorAll('[data-watch]').forEach(watch);
  }
  // Parts and logs that left the page stop being followed at once (their held request ends).
  function sweep() {
    watchers.slice().forEach(function (w) { if (!w.el.isConnected) stop(w); });
    streams = streams.filter(function (s) { if (!s.el.isConnected) s.ctl.abort(); return s.el.isConnected; });
  }
  document.addEventListener('DOMContentLoaded', function () { scan(document); });
  document.addEventListener('htmx:load', function (e) { scan(e.target); });
  document.addEventListener('htmx:afterSwap', sweep);
  document.addEventListener('htmx:historyRestore', function () { sweep(); scan(document); });
  document.addEventListener('submit', function (e) {
    var msg = e.target.getAttribute && e.target.getAttribute('data-confirm');
    if (msg && !window.confirm(msg)) e.preventDefault();
  }, true);
})();
