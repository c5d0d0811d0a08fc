// The counters page: the REST API of protocol.md §3, polled every second so that a crash and
// the supervisor's restart show up as they happen.
import { h, setText, flash } from './dom.js';
import { request } from './http.js';

const NAME_RULE = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const POLL_MS = 1000;

const $ = (id) => document.getElementById(id);
const ui = {
  status: $('status'), banner: $('banner'), bannerText: $('banner-text'), bannerRetry: $('banner-retry'),
  form: $('create-form'), name: $('new-name'), initial: $('new-initial'), createError: $('create-error'),
  step: $('step'), actionError: $('action-error'), rows: $('counter-rows'), empty: $('empty'),
};

const rows = new Map(); // name → {tr, value, restarts, state}
let timer = null;
let failures = 0;

async function refresh() {
  clearTimeout(timer);
  try {
    const counters = await request('/api/counters');
    failures = 0;
    ui.banner.hidden = true;
    ui.status.className = 'pill ok';
    setText(ui.status, 'Live');
    render(counters);
    timer = setTimeout(refresh, POLL_MS);
  } catch (e) {
    failures++;
    const delay = Math.min(10000, POLL_MS * 2 ** Math.min(failures, 4));
    ui.status.className = 'pill error';
    setText(ui.status, 'Offline');
    setText(ui.bannerText, `${e.unreachable ? 'Cannot reach the server.' : e.message} Retrying in ${Math.round(delay / 1000)} s…`);
    ui.banner.hidden = false;
    timer = setTimeout(refresh, delay);
  }
}

ui.bannerRetry.addEventListener('click', refresh);

function render(counters) {
  const seen = new Set();
  let before = ui.rows.firstChild;
  for (const c of counters) {
    seen.add(c.name);
    const row = rows.get(c.name) ?? addRow(c.name);
    update(row, c);
    if (row.tr === before) before = before.nextSibling;
    else ui.rows.insertBefore(row.tr, before);
  }
  for (const [name, row] of rows) {
    if (!seen.has(name)) {
      row.tr.remove();
      rows.delete(name);
    }
  }
  ui.empty.hidden = counters.length > 0;
}

function addRow(name) {
  const value = h('td', { class: 'num value', 'data-label': 'value' });
  const restarts = h('td', { class: 'num restarts', 'data-label': 'restarts' });
  const act = (label, title, fn, cls) => h('button', { type: 'button', class: `small ${cls ?? ''}`, title, 'aria-label': `${title} ${name}`, onclick: fn }, label);
  const tr = h('tr', { dataset: { counter: name } },
    h('th', { scope: 'row', class: 'name mono' }, name),
    value,
    restarts,
    h('td', { class: 'actions' },
      act('−', 'Decrement', () => change(name, 'decrement')),
      act('+', 'Increment', () => change(name, 'increment')),
      act('Crash', 'Crash', () => crash(name), 'danger crash'),
      act('Delete', 'Delete', () => remove(name), 'delete')));
  const row = { tr, value, restarts, state: null };
  rows.set(name, row);
  return row;
}

function update(row, c) {
  const old = row.state;
  row.state = c;
  setText(row.value, c.value.toLocaleString());
  setText(row.restarts, String(c.restarts));
  if (old && old.restarts !== c.restarts) {
    flash(row.restarts);
    flash(row.value);
    say(`${c.name} was restarted by its supervisor: value back to ${c.value.toLocaleString()}, restarts ${c.restarts}.`, false);
  }
}

function step() {
  const s = ui.step.value.trim();
  return /^-?\d+$/.test(s) ? s : '1';
}

async function change(name, op) {
  try {
    const c = await request(`/api/counters/${encodeURIComponent(name)}/${op}?by=${encodeURIComponent(step())}`, { method: 'POST' });
    say('');
    const row = rows.get(name);
    if (row) update(row, c);
  } catch (e) {
    say(`${name}: ${e.message}`);
  }
}

async function crash(name) {
  try {
    await request(`/api/counters/${encodeURIComponent(name)}/crash`, { method: 'POST' });
    say(`${name} crashed on purpose…`, false);
    // look again soon: the supervisor restarts it within milliseconds
    for (const wait of [100, 250, 500]) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      await refresh();
    }
  } catch (e) {
    say(`${name}: ${e.message}`);
  }
}

async function remove(name) {
  try {
    await request(`/api/counters/${encodeURIComponent(name)}`, { method: 'DELETE' });
    say('');
    await refresh();
  } catch (e) {
    say(`${name}: ${e.message}`);
  }
}

function say(text, isError = true) {
  setText(ui.actionError, text);
  ui.actionError.className = isError ? 'field-error' : 'field-hint';
}

ui.form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const name = ui.name.value.trim();
  const initialText = ui.initial.value.trim() || '0';
  if (!NAME_RULE.test(name)) {
    createProblem(name === '' ? 'Type a name.' : 'Lowercase letters, digits, “_” or “-”, up to 32, starting with a letter or digit.');
    return;
  }
  if (!/^-?\d+$/.test(initialText)) {
    createProblem('The initial value must be a whole number.');
    return;
  }
  try {
    // sent as a JSON number verbatim, so that values beyond 2^53 are not rounded on the way
    const response = await fetch('/api/counters', {
      method: 'POST', credentials: 'omit',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: `{"name":${JSON.stringify(name)},"initial":${initialText}}`,
    });
    if (!response.ok) {
      const problem = await response.json().catch(() => null);
      createProblem(response.status === 409 ? `A counter named “${name}” exists already.` : (problem?.detail ?? `Refused (${response.status}).`));
      return;
    }
    createProblem('');
    ui.name.value = '';
    await refresh();
    rows.get(name)?.tr.querySelector('button')?.focus();
  } catch {
    createProblem('Cannot reach the server.');
  }
});

function createProblem(text) {
  setText(ui.createError, text);
  ui.name.setAttribute('aria-invalid', text ? 'true' : 'false');
}

refresh();
