// One process, one click away from the dashboard's table (dashboard.html#process=<pid>): what
// /actuator/processes/{pid} says of it (with its state as it describes itself), refreshed every
// 1.5 s, its links and monitors as links to their own pages, Kill, and a live trace of the
// messages it handles from /actuator/processes/{pid}/trace (text/event-stream, read with fetch so
// the Authorization header goes with it; EventSource cannot send one). Everything shown goes in
// as text (dom.js), never as markup.
import { h, fill, setText, formatNumber } from './dom.js';
import { request } from './http.js';

const POLL_MS = 1500;
const MAX_LINES = 1000;           // trace lines kept on the page; older ones go
const MAX_HELD = 1000;            // events kept while paused

const $ = (id) => document.getElementById(id);

/** The href of a process's page. */
export function processHref(pid) {
  return `#process=${encodeURIComponent(pid)}`;
}

/** The pid a location hash names, or null. */
export function pidFromHash(hash) {
  const m = /^#process=(.+)$/.exec(hash ?? '');
  if (!m) return null;
  try { return decodeURIComponent(m[1]); } catch { return null; }
}

/**
 * @param {{auth: () => string|null, unauthorized: () => void}} session how to sign requests, and
 *        what to do when the password stops working
 */
export function processPage(session) {
  const ui = {
    page: $('process-page'), title: $('process-title'), status: $('process-status'), kill: $('process-kill'),
    problem: $('process-problem'), facts: $('process-facts'), state: $('process-state'), stateError: $('process-state-error'),
    toggle: $('trace-toggle'), pause: $('trace-pause'), clear: $('trace-clear'), traceStatus: $('trace-status'),
    lines: $('trace-lines'),
  };
  let pid = null;
  let timer = null;
  let trace = null;               // {controller, pid, events, dropped}
  let paused = false;
  let held = [];
  let heldDropped = 0;

  // ---------- the facts and the state ----------

  async function refresh() {
    clearTimeout(timer);
    const asked = pid;
    if (!asked || !session.auth()) return;
    let body;
    try {
      body = await request(`/actuator/processes/${encodeURIComponent(asked)}`, { auth: session.auth() });
    } catch (e) {
      if (asked !== pid) return;
      if (e.unauthorized) { session.unauthorized(); return; }
      if (e.status === 404) {
        ui.status.className = 'pill error';
        setText(ui.status, 'ended');
        showProblem(`${asked} is not alive: it ended, or never was.`);
        ui.kill.disabled = true;
        return; // nothing more to refresh
      }
      showProblem(e.message);
      timer = setTimeout(refresh, POLL_MS * 2);
      return;
    }
    if (asked !== pid) return;
    showProblem('');
    show(body);
    timer = setTimeout(refresh, POLL_MS);
  }

  function show(p) {
    setText(ui.title, p.name ? `${p.name} ${p.pid}` : `Process ${p.pid}`);
    ui.status.className = `pill ${p.status === 'running' || p.status === 'runnable' ? 'warn' : 'ok'}`;
    setText(ui.status, p.status ?? '');
    ui.kill.disabled = false;
    const link = (target) => h('a', { href: processHref(target), class: 'mono' }, target);
    const links = (list) => (list?.length ? list.map(link) : '–');
    const facts = [
      ['Pid', h('span', { class: 'mono' }, p.pid)],
      ['Name', p.name ?? '–'],
      ['Type', p.type ?? '–'],
      ['Status', p.status ?? '–'],
      ['Mailbox', formatNumber(p.mailbox)],
      ['Reductions', formatNumber(p.reductions)],
      ['Supervisor', p.supervisor && p.parent ? h('a', { href: processHref(p.parent) }, p.supervisor) : (p.supervisor ?? '–')],
      ['Parent', p.parent ? link(p.parent) : '–'],
      ['Traps exits', p.trapExit ? 'yes' : 'no'],
      ['Links', links(p.links)],
      ['Monitors', links(p.monitors)],
      ['Monitored by', links(p.monitoredBy)],
    ];
    fill(ui.facts, facts.map(([k, v]) => [h('dt', {}, k), h('dd', { dataset: { fact: k.toLowerCase().replace(/ /g, '-') } }, v)]));
    if (p.state !== null && p.state !== undefined) {
      ui.stateError.hidden = true;
      setText(ui.state, JSON.stringify(p.state, null, 2));
      ui.state.hidden = false;
    } else {
      ui.state.hidden = true;
      ui.stateError.hidden = false;
      setText(ui.stateError, {
        timeout: 'The process did not answer in time: it is busy in a long handler, or stuck.',
        not_described: 'This process does not describe its state.',
        exited: 'The process ended before it could answer.',
        failed: 'The process failed to describe its state.',
      }[p.stateError] ?? `No state (${p.stateError ?? 'unknown'}).`);
    }
  }

  function showProblem(text) {
    setText(ui.problem, text);
    ui.problem.hidden = !text;
  }

  ui.kill.addEventListener('click', async () => {
    if (!pid) return;
    ui.kill.disabled = true;
    try {
      await request(`/actuator/processes/${encodeURIComponent(pid)}`, { method: 'DELETE', auth: session.auth() });
      showProblem(`Killed ${pid}. Its supervisor, if it has one, decides whether it comes back (under a new pid).`);
    } catch (e) {
      if (e.unauthorized) { session.unauthorized(); return; }
      showProblem(`Could not kill ${pid}: ${e.message}`);
      ui.kill.disabled = false;
    }
    refresh();
  });

  // ---------- the live trace ----------

  async function startTrace() {
    if (!pid || trace) return;
    const controller = new AbortController();
    trace = { controller, pid, events: 0, dropped: 0 };
    const mine = trace;
    setTraceButtons(true);
    setText(ui.traceStatus, 'Connecting…');
    let response;
    try {
      response = await fetch(`/actuator/processes/${encodeURIComponent(pid)}/trace`, {
        headers: { Authorization: session.auth(), Accept: 'text/event-stream' },
        credentials: 'omit', cache: 'no-store', signal: controller.signal,
      });
    } catch {
      endTrace(mine, controller.signal.aborted ? 'Stopped.' : 'The server cannot be reached.');
      return;
    }
    if (!response.ok) {
      let detail = `Trace refused (${response.status}).`;
      if (response.status === 401) { endTrace(mine, 'Password refused.'); session.unauthorized(); return; }
      try { detail = (await response.json()).detail ?? detail; } catch { /* no body */ }
      endTrace(mine, detail);
      return;
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let ended = null;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut;
        while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, '');
          ended = onBlock(mine, block) ?? ended;
        }
      }
    } catch {
      if (!controller.signal.aborted) ended = ended ?? 'The connection was lost.';
    }
    endTrace(mine, ended ?? (controller.signal.aborted ? 'Stopped.' : 'The trace ended.'));
  }

  /** One server-sent event; returns a closing message for an end event. */
  function onBlock(mine, block) {
    let event = 'message';
    const data = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(':')) continue; // the keep-alive comment
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5));
    }
    if (data.length === 0) return null;
    let body;
    try { body = JSON.parse(data.join('\n')); } catch { return null; }
    if (event === 'start') {
      setText(ui.traceStatus, `Tracing ${body.pid} for up to ${body.seconds} s…`);
    } else if (event === 'dropped') {
      mine.dropped = body.dropped;
      traceCounts(mine);
    } else if (event === 'end') {
      const why = { exited: `the process ended (${body.exit})`, max_duration: 'its time was up' }[body.reason] ?? body.reason;
      return `Trace over: ${why}. ${formatNumber(body.events)} events, ${formatNumber(body.dropped)} dropped.`;
    } else {
      mine.events++;
      if (paused) {
        if (held.length < MAX_HELD) held.push(body); else heldDropped++;
      } else {
        addLine(body);
      }
      traceCounts(mine);
    }
    return null;
  }

  function traceCounts(mine) {
    const pausedNote = paused ? ` · paused, ${formatNumber(held.length + heldDropped)} not shown` : '';
    setText(ui.traceStatus, `Tracing ${mine.pid}: ${formatNumber(mine.events)} events, ${formatNumber(mine.dropped)} dropped by the server${pausedNote}`);
  }

  function addLine(e) {
    const time = new Date(e.time);
    const li = h('li', { dataset: { type: e.type, outcome: e.outcome } },
      h('span', { class: 'time', title: e.time }, Number.isNaN(time.getTime()) ? e.time : `${time.toLocaleTimeString()}.${String(time.getMilliseconds()).padStart(3, '0')}`),
      h('span', { class: 'type' }, e.type),
      h('span', { class: `outcome ${e.outcome}` }, e.outcome),
      h('span', { class: 'msg' }, e.message));
    const atBottom = ui.lines.scrollHeight - ui.lines.scrollTop - ui.lines.clientHeight < 8;
    ui.lines.appendChild(li);
    while (ui.lines.children.length > MAX_LINES) ui.lines.firstChild.remove();
    if (atBottom) ui.lines.scrollTop = ui.lines.scrollHeight;
  }

  function note(text) {
    ui.lines.appendChild(h('li', { class: 'note' }, text));
  }

  function endTrace(mine, text) {
    if (trace !== mine) return;
    trace = null;
    flushHeld();
    setTraceButtons(false);
    setText(ui.traceStatus, text);
  }

  function stopTrace() {
    trace?.controller.abort();
  }

  function flushHeld() {
    for (const e of held) addLine(e);
    if (heldDropped > 0) note(`${formatNumber(heldDropped)} events received while paused were not kept.`);
    held = [];
    heldDropped = 0;
  }

  function setTraceButtons(on) {
    ui.toggle.setAttribute('aria-pressed', String(on));
    setText(ui.toggle, on ? 'Stop trace' : 'Trace');
    ui.pause.disabled = !on;
    if (!on && paused) setPaused(false);
  }

  function setPaused(on) {
    paused = on;
    ui.pause.setAttribute('aria-pressed', String(on));
    setText(ui.pause, on ? 'Resume' : 'Pause');
    if (!on) flushHeld();
    if (trace) traceCounts(trace);
  }

  ui.toggle.addEventListener('click', () => (trace ? stopTrace() : startTrace()));
  ui.pause.addEventListener('click', () => setPaused(!paused));
  ui.clear.addEventListener('click', () => {
    ui.lines.replaceChildren();
    held = [];
    heldDropped = 0;
    if (trace) traceCounts(trace);
  });

  return {
    /** Shows the page of pid (a new pid: a fresh page, any trace of another stopped). */
    open(next) {
      if (next !== pid) {
        stopTrace();
        ui.lines.replaceChildren();
        setText(ui.traceStatus, '');
        fill(ui.facts);
        setText(ui.state, '');
        ui.stateError.hidden = true;
        showProblem('');
        setText(ui.title, `Process ${next}`);
        setText(ui.status, '');
      }
      pid = next;
      ui.page.hidden = false;
      refresh();
    },
    close() {
      stopTrace();
      clearTimeout(timer);
      pid = null;
      ui.page.hidden = true;
    },
  };
}
