// The console's own script, after htmx: keeps <div data-watch="URL" data-since="CURSOR"> live by a
// long poll, streams logs into <pre data-stream="URL"> as they grow, and asks before a form marked
// data-confirm is sent. What is followed is kept in WeakSets, not in attributes, so that a page
// htmx restores from its history is followed afresh. Where the server cannot hold a request open
// (on AWS Lambda, where every second held is billed) it answers at once and names a push endpoint
// (X-Berth-Push): the page then opens one WebSocket, watches the API paths its live parts show
// (data-topic, data-topics) and asks again when told of a change, or after 25 s.
(function () {
  // Error answers (a 4xx naming the field at fault, a 403) are pages too: swap them in like any other.
  htmx.config.responseHandling = [{ code: '204', swap: false }, { code: '...', swap: true }];
  // A refresh that fails (a restart, a lost session) keeps what is shown; the next one tries again.
  document.addEventListener('htmx:beforeSwap', function (e) {
    if (e.detail.xhr.status >= 400 && e.detail.elt.hasAttribute('hx-trigger')) e.detail.shouldSwap = false;
  });

  // The page's push connection, opened on first need with a ticket (the session's token stays in
  // its HttpOnly cookie, and the WebSocket may be on another host). `tell(path, fn)` calls fn with
  // 'watching' once the path is watched (ask once: a change may have come before), 'changed' on
  // each change, and 'lost' when the connection ends or refuses the path (go back to asking); it
  // returns what stops telling. A lost connection is opened again, a few times, with a new ticket.
  var PUSH_WAIT_MS = 25000;
  var push = { ws: null, state: 'closed', paths: {}, fails: 0 };
  function pushHeaders() {
    try { return JSON.parse(document.body.getAttribute('hx-headers') || '{}'); } catch (e) { return {}; }
  }
  function pushEach(path, what) {
    (push.paths[path] || []).slice().forEach(function (fn) { fn(what); });
  }
  function pushOpen() {
    if (push.state !== 'closed') return;
    push.state = 'opening';
    function lost() {
      push.ws = null;
      push.state = 'closed';
      Object.keys(push.paths).forEach(function (path) { pushEach(path, 'lost'); });
      push.fails++;
      if (push.fails <= 5) setTimeout(function () { if (Object.keys(push.paths).length) pushOpen(); }, 1000 * Math.pow(2, push.fails));
    }
    fetch('/console/push-ticket', { method: 'POST', credentials: 'same-origin', headers: pushHeaders() }).then(function (res) {
      if (!res.ok) throw new Error('no ticket: HTTP ' + res.status);
      return res.json();
    }).then(function (t) {
      var url = new URL(t.url, location.href);
      if (url.protocol === 'http:') url.protocol = 'ws:';
      if (url.protocol === 'https:') url.protocol = 'wss:';
      var ws = new WebSocket(url.href);
      push.ws = ws;
      ws.onopen = function () {
        push.state = 'open';
        push.fails = 0;
        Object.keys(push.paths).forEach(function (path) { ws.send(JSON.stringify({ watch: path })); });
      };
      ws.onmessage = function (e) {
        var m;
        try { m = JSON.parse(e.data); } catch (err) { return; }
        if (!m.path) return;
        if (m.type === 'watching' || m.type === 'changed') pushEach(m.path, m.type);
        else if (m.type === 'error') pushEach(m.path, 'lost');
      };
      ws.onclose = function () { if (push.ws === ws) lost(); };
    }).catch(lost);
  }
  function tell(path, fn) {
    var fns = (push.paths[path] = push.paths[path] || []);
    fns.push(fn);
    if (push.state === 'closed') pushOpen();
    else if (push.state === 'open') {
      if (fns.length === 1) push.ws.send(JSON.stringify({ watch: path }));
      else setTimeout(function () { fn('watching'); }, 0);
    }
    return function () {
      var i = fns.indexOf(fn);
      if (i < 0) return;
      fns.splice(i, 1);
      if (fns.length) return;
      delete push.paths[path];
      if (push.state === 'open') push.ws.send(JSON.stringify({ unwatch: path }));
    };
  }
  var canPush = typeof WebSocket === 'function' && typeof URL === 'function';

  // A log streams in over one response for as long as the server keeps it open. A build log whose
  // response ends before the build does (X-Build-Finished: false) is asked for again from the byte
  // reached: at once when the answer brought text, else when a push connection tells of more text
  // or of the build's end (data-topics), or after a second where there is none.
  var streaming = new WeakSet();
  var streams = [];
  function stream(pre) {
    if (streaming.has(pre)) return;
    streaming.add(pre);
    // A page restored from htmx's history holds the text of then: the log is read again whole.
    pre.textContent = '';
    delete pre.dataset.done;
    var ctl = new AbortController();
    var status = document.getElementById(pre.dataset.status || '');
    var decoder = new TextDecoder();
    var offset = 0;
    var reading = false, again = false, live = false, timer = null, untell = null;
    function stopTelling() {
      clearTimeout(timer);
      if (untell) untell.forEach(function (u) { u(); });
      untell = null;
    }
    streams.push({ el: pre, ctl: ctl, stop: stopTelling });
    function done(text) { stopTelling(); if (status) status.textContent = text; pre.dataset.done = '1'; }
    function soon(ms) { clearTimeout(timer); timer = setTimeout(open, ms); }
    function told(what) {
      live = what !== 'lost';
      delete pre.dataset.waiting;
      if (reading) { again = live; return; }
      soon(live ? 0 : 1000);
    }
    // Nothing new in the answer: wait to be told where the server named a push endpoint.
    // data-waiting="told" says so on the element (tests and curious readers look for it).
    function wait(pushed) {
      if (pushed && canPush && pre.dataset.topics && !untell) untell = pre.dataset.topics.split(' ').map(function (path) { return tell(path, told); });
      var toldOnly = Boolean(untell && live);
      soon(toldOnly ? PUSH_WAIT_MS : 1000);
      if (toldOnly) pre.dataset.waiting = 'told';
    }
    function open() {
      if (!pre.isConnected) return stopTelling();
      var url = pre.dataset.stream + (pre.dataset.resume ? (pre.dataset.stream.indexOf('?') < 0 ? '?' : '&') + 'offset=' + offset : '');
      var got = 0;
      reading = true;
      again = false;
      delete pre.dataset.waiting;
      fetch(url, { credentials: 'same-origin', signal: ctl.signal }).then(function (res) {
        if (!res.ok || !res.body) { reading = false; stopTelling(); pre.textContent += '\n[the log could not be read: HTTP ' + res.status + ']'; return; }
        var finished = res.headers.get('X-Build-Finished') !== 'false';
        var pushed = Boolean(res.headers.get('X-Berth-Push'));
        var reader = res.body.getReader();
        function next() {
          return reader.read().then(function (r) {
            if (r.done) {
              reading = false;
              if (finished || !pre.dataset.resume) return done('Log complete.');
              return got || again ? soon(0) : wait(pushed);
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
        reading = false;
        // Cut off (a restart): a build log goes on from the byte reached; a pod log, which starts
        // from its last lines, is not asked for again once some arrived.
        if (!ctl.signal.aborted && (pre.dataset.resume || !got)) soon(2000);
      });
    }
    open();
  }
  // A watched part is asked for again with the cursor it shows; the server answers when something
  // in it changed (200: the new part, with the next cursor) or after a while (204). Held requests
  // take one of the browser's few connections to this server, so one is never left behind: it is
  // ended when its part leaves the page (a boosted page change) and while the tab is hidden. A
  // server that answers 204 at once does not hold: where it names a push endpoint, the part is
  // asked for again when a change to its path (data-topic) is told, else every 2 s.
  var watchers = [];
  var watched = new WeakSet();
  function watch(el) {
    if (watched.has(el)) return;
    watched.add(el);
    var w = { el: el, ctl: null, timer: null, fails: 0, untell: null, live: false, again: false };
    watchers.push(w);
    function later(ms) { clearTimeout(w.timer); w.timer = setTimeout(ask, ms); }
    function told(what) {
      w.live = what !== 'lost';
      delete w.el.dataset.waiting;
      if (w.ctl) { w.again = w.live; return; }
      later(w.live ? 0 : 2000);
    }
    // Waiting to be told only: data-waiting="told" on the part, as on a followed log.
    function wait(pushed) {
      if (pushed && canPush && w.el.dataset.topic && !w.untell) w.untell = tell(w.el.dataset.topic, told);
      var toldOnly = Boolean(w.untell && w.live);
      later(toldOnly ? PUSH_WAIT_MS : 2000);
      if (toldOnly) w.el.dataset.waiting = 'told';
    }
    function ask() {
      w.timer = null;
      var el = w.el;
      if (!el.isConnected) return stop(w);
      if (document.hidden || w.ctl) return;
      var ctl = (w.ctl = new AbortController());
      w.again = false;
      delete el.dataset.waiting;
      var started = Date.now();
      var url = el.dataset.watch + (el.dataset.since ? '?since=' + encodeURIComponent(el.dataset.since) : '');
      fetch(url, { credentials: 'same-origin', signal: ctl.signal }).then(function (res) {
        w.ctl = null;
        // Sent to sign in: the session is over, and the page says so on the next click.
        if (res.redirected) return stop(w);
        if (res.status === 204) {
          w.fails = 0;
          if (w.again) return later(0);
          return Date.now() - started < 1000 ? wait(Boolean(res.headers.get('X-Berth-Push'))) : later(0);
        }
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
          // The same watcher follows the new part, its push connection's path with it.
          watched.add(next);
          w.el = next;
          el.replaceWith(next);
          htmx.process(next);
          var again = href ? next.querySelector('a[href="' + CSS.escape(href) + '"]') : null;
          if (again) again.focus();
          w.fails = 0;
          if (w.untell && w.live && !w.again) {
            later(PUSH_WAIT_MS);
            next.dataset.waiting = 'told';
          } else later(0);
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
    if (w.untell) w.untell();
    w.untell = null;
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
    streams = streams.filter(function (s) { if (!s.el.isConnected) { s.ctl.abort(); s.stop(); } return s.el.isConnected; });
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
