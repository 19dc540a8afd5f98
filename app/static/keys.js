// codeseed's coding app in the browser: the review keys, the command a button sends (app/commands.py reads it),
// and the note of every render that the tests and the latency benchmark wait for. Loaded once into <head>.
(() => {
  if (window.csCommand) return;
  const KEYS = {a: 'accept', x: 'reject', j: 'down', arrowdown: 'down', k: 'up', arrowup: 'up',
                n: 'next', arrowright: 'next', p: 'previous', arrowleft: 'previous', s: 'skip', u: 'undo',
                c: 'picker', '/': 'picker', e: 'evidence', t: 'context', '0': 'none'};
  const BUTTONS = {accept: 'cs-accept', reject: 'cs-reject', none: 'cs-none', next: 'cs-next',
                   previous: 'cs-previous', skip: 'cs-skip', undo: 'cs-undo'};
  const opened = new Set();
  const side = () => document.querySelector('#cs-side .cs-side');
  const rows = () => Array.from(document.querySelectorAll('#cs-side li.cs-sugg'));
  function focusRow(li) {
    rows().forEach(r => r.classList.toggle('focused', r === li));
    if (li) li.scrollIntoView({block: 'nearest'});
  }
  function move(delta) {
    const all = rows(); if (!all.length) return;
    const at = all.findIndex(r => r.classList.contains('focused'));
    focusRow(all[(at + delta + all.length) % all.length]);
  }
  function coderName() {
    const box = document.querySelector('#cs-coder textarea, #cs-coder input');
    return box ? box.value : '';
  }
  // What a button sends to the server: the action, the segment on screen, the focused code, the coder shown, and
  // its number in this page's order of commands (seq): the server applies them in that order (app/ordering.py).
  let seq = 0;
  window.csCommand = (action) => {
    const s = side();
    const order = {action: action, segment: s ? s.dataset.segment : '', coder: coderName(), seq: ++seq};
    if (action === 'accept' || action === 'reject') {
      const li = document.querySelector('#cs-side li.cs-sugg.focused');
      order.code = li ? li.dataset.code : '';
      if (li && li.classList.contains('pending') && coderName().trim()) {  // answer the eye at once, marked
        // 'sending' (not yet stored) until the server's answer replaces the panel with what it stored
        li.classList.remove('pending'); li.classList.add(action === 'accept' ? 'accepted' : 'rejected', 'sending');
        const all = rows(), at = all.indexOf(li);
        const next = all.slice(at + 1).concat(all.slice(0, at)).find(r => r.classList.contains('pending'));
        if (next) focusRow(next);
      }
    }
    return JSON.stringify(order);
  };
  // Keys that go to the server are sent one at a time, in the order pressed: a key pressed while the answer to
  // the last one is on its way waits for it (so A acts on the line the last answer focused). None is ever
  // dropped: if an answer is slow (over 5 s), the next key goes anyway, and the numbers (seq) keep the server
  // applying them in the order pressed, so U after X still undoes that X.
  const waiting = [];
  let busySince = 0;
  function send(action) {
    if (busySince && performance.now() - busySince < 5000) { waiting.push(action); return; }
    busySince = performance.now();
    window.csKeyAt = busySince;
    window.csKeyAction = action;
    document.getElementById(BUTTONS[action]).click();
  }
  function answered() {
    busySince = 0;
    if (waiting.length) send(waiting.shift());
  }
  function typing(t) {  // keys typed into a text field are the field's; a radio or checkbox keeps letters free
    if (!t) return false;
    if (t.isContentEditable || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT') return true;
    return t.tagName === 'INPUT' && !['radio', 'checkbox', 'button', 'submit', 'range'].includes(t.type);
  }
  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.altKey || e.metaKey) return;
    if (typing(e.target)) {
      if (e.key === 'Escape') e.target.blur();
      return;
    }
    const key = e.key.toLowerCase();
    if (key.startsWith('arrow') && e.target && e.target.closest &&
        (e.target.closest('[role=tablist]') || e.target.tagName === 'INPUT')) return;  // their own arrows
    const action = e.ctrlKey ? (key === 'z' ? 'undo' : null) : (KEYS[key] || (/^[1-9]$/.test(key) ? 'nth' : null));
    const panel = document.getElementById('cs-side');
    if (!action || !panel || panel.offsetParent === null) return;
    e.preventDefault();
    if (BUTTONS[action]) { send(action); return; }
    if (action === 'down') move(1);
    else if (action === 'up') move(-1);
    else if (action === 'nth') { const li = rows()[Number(key) - 1]; if (li) focusRow(li); }
    else if (action === 'picker') {
      const input = document.querySelector('#cs-picker input');
      if (input) { input.focus(); input.click(); }
    } else if (action === 'evidence') {
      const d = document.querySelector('#cs-side li.cs-sugg.focused details');
      if (d) d.open = !d.open;
    } else if (action === 'context') document.body.classList.toggle('cs-hide-context');
  });
  document.addEventListener('click', (e) => {
    if (e.target.closest && e.target.closest('.cs-ctx-toggle')) { document.body.classList.toggle('cs-hide-context'); return; }
    const li = e.target.closest && e.target.closest('#cs-side li.cs-sugg');
    if (!li) return;
    const act = e.target.closest('button[data-act]');
    if (!e.target.closest('summary')) focusRow(li);
    if (act) { e.preventDefault(); send(act.dataset.act); }
  });
  document.addEventListener('toggle', (e) => {
    const d = e.target;
    if (d.classList && d.classList.contains('cs-evidence')) {
      if (d.open) opened.add(d.dataset.key); else opened.delete(d.dataset.key);
    }
  }, true);
  // After every render: keep evidence open where the coder opened it; note when new content arrived.
  let lastRender = null;
  new MutationObserver(() => {
    const s = side();
    const project = document.querySelector('.cs-project');  // the tab's title names the project once logged in
    if (project && document.title === 'codeseed') document.title = 'codeseed · ' + project.textContent;
    if (!s || s.dataset.render === lastRender) return;
    lastRender = s.dataset.render;
    document.querySelectorAll('#cs-side details.cs-evidence').forEach(d => { d.open = opened.has(d.dataset.key); });
    window.csRender = {render: s.dataset.render, token: s.dataset.token, segment: s.dataset.segment,
                       at: performance.now(), key: window.csKeyAt || null, action: window.csKeyAction || null};
    answered();
  }).observe(document.documentElement, {childList: true, subtree: true});
})();
