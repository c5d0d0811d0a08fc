// The process dashboard: figures from /actuator/prometheus (open), the process table and the
// supervision tree from /actuator/processes and /actuator/supervisors (admin, HTTP Basic), all
// polled every 1.5 s. The password lives in this module's memory only: a reload forgets it.
// A click on a process row opens its page (#process=<pid>, process-page.js) in place of the overview.
import { h, fill, setText, flash, formatNumber } from './dom.js';
import { request, basicAuth } from './http.js';
import { parsePrometheus, total, byLabel, has } from './prometheus.js';
import { processPage, processHref, pidFromHash } from './process-page.js';

const POLL_MS = 1500;
const WINDOW_S = 5 * 60;          // the charts' time span
const TYPES = ['supervisor', 'room', 'session', 'counter'];

const $ = (id) => document.getElementById(id);
const ui = {
  gate: $('gate'), loginForm: $('login-form'), password: $('password'), login: $('login'), loginError: $('login-error'),
  dashboard: $('dashboard'), overview: $('overview'), status: $('status'), updated: $('updated'), pause: $('pause'), logout: $('logout'),
  banner: $('banner'), bannerText: $('banner-text'), bannerRetry: $('banner-retry'),
  tree: $('tree'), rows: $('process-rows'), footer: $('processes-footer'), killLog: $('kill-log'),
  typeFilter: $('type-filter'), sortButtons: [$('sort-mailbox'), $('sort-reductions')], chartsError: $('charts-error'),
};

let auth = null;                  // "Basic …", in memory only
let timer = null;
let paused = false;
let failures = 0;
let sort = 'mailbox';
let previous = null;              // {t, sent, chat} from the last scrape, for rates
let restartsByName = new Map();   // child name → {pid, restarts, supervisor} from the last tree
const history = {
  t: [], processes: Object.fromEntries([...TYPES, 'other'].map((k) => [k, []])), mailbox: [], rate: [], restarts: [],
  running: [], spinning: [], busiest: [],
};
const charts = {};
const rowsByPid = new Map();
const namesByPid = new Map();     // registered names seen in the process table, for tree entries without one
const kills = [];                 // {name, pid, before, li, until, done}

const page = processPage({
  auth: () => auth,
  unauthorized: () => signOut('The server no longer accepts this password. Sign in again.'),
});

/** The overview, or one process's page when the location says #process=<pid>. */
function route() {
  const pid = auth ? pidFromHash(location.hash) : null;
  if (pid) {
    ui.overview.hidden = true;
    page.open(pid);
    window.scrollTo(0, 0);
  } else {
    page.close();
    ui.overview.hidden = false;
  }
}
window.addEventListener('hashchange', route);

// ---------- signing in ----------

ui.loginForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const password = ui.password.value;
  if (password === '') {
    loginProblem('Type the admin password.');
    return;
  }
  ui.login.disabled = true;
  ui.login.textContent = 'Checking…';
  const candidate = basicAuth('admin', password);
  try {
    await request('/actuator/processes?limit=1', { auth: candidate });
    auth = candidate;
    ui.password.value = '';
    loginProblem('');
    showDashboard();
  } catch (e) {
    loginProblem(e.unauthorized ? 'Wrong password: the server refused it.'
      : e.unreachable ? 'Cannot reach the server. Is it running? Try again.' : e.message);
  } finally {
    ui.login.disabled = false;
    ui.login.textContent = 'Open';
  }
});

function loginProblem(text) {
  setText(ui.loginError, text);
  ui.password.setAttribute('aria-invalid', text ? 'true' : 'false');
  if (text) ui.password.focus();
}

function showDashboard() {
  ui.gate.hidden = true;
  ui.dashboard.hidden = false;
  ui.logout.hidden = false;
  ui.pause.hidden = false;
  setupCharts();
  poll();
  route();
}

function signOut(problem) {
  auth = null;
  clearTimeout(timer);
  page.close();
  ui.dashboard.hidden = true;
  ui.gate.hidden = false;
  ui.logout.hidden = true;
  ui.pause.hidden = true;
  ui.banner.hidden = true;
  ui.status.className = 'pill';
  setText(ui.status, 'Signed out');
  setText(ui.updated, '');
  loginProblem(problem ?? '');
  if (!problem) ui.password.focus();
}

ui.logout.addEventListener('click', () => signOut());

ui.pause.addEventListener('click', () => {
  paused = !paused;
  ui.pause.setAttribute('aria-pressed', String(paused));
  setText(ui.pause, paused ? 'Resume' : 'Pause');
  if (paused) {
    clearTimeout(timer);
    ui.status.className = 'pill warn';
    setText(ui.status, 'Paused');
  } else {
    poll();
  }
});

ui.bannerRetry.addEventListener('click', () => poll());

// ---------- polling ----------

async function poll() {
  clearTimeout(timer);
  if (!auth) return;
  const params = new URLSearchParams({ sort, limit: '50' });
  if (ui.typeFilter.value) params.set('type', ui.typeFilter.value);
  const [metrics, processes, tree] = await Promise.allSettled([
    request('/actuator/prometheus', { accept: 'text/plain' }),
    request(`/actuator/processes?${params}`, { auth }),
    request('/actuator/supervisors', { auth }),
  ]);
  if (!auth) return; // signed out meanwhile
  const failed = [metrics, processes, tree].find((r) => r.status === 'rejected')?.reason;
  if (failed?.unauthorized) {
    signOut('The server no longer accepts this password. Sign in again.');
    return;
  }
  if (metrics.status === 'fulfilled') showMetrics(parsePrometheus(metrics.value));
  if (tree.status === 'fulfilled') showTree(tree.value);
  else if (tree.reason?.status === 503) showTreeProblem(tree.reason);
  if (processes.status === 'fulfilled') showProcesses(processes.value);
  updateKills();

  if (failed && failed.status !== 503) {
    failures++;
    const delay = Math.min(15000, POLL_MS * 2 ** Math.min(failures, 4));
    ui.status.className = 'pill error';
    setText(ui.status, failed.unreachable ? 'Server down' : 'Error');
    setText(ui.bannerText, `${failed.unreachable ? 'The server cannot be reached: the figures below are stale.' : failed.message} Retrying in ${Math.round(delay / 1000)} s…`);
    ui.banner.hidden = false;
    if (!paused) timer = setTimeout(poll, delay);
    return;
  }
  failures = 0;
  ui.banner.hidden = true;
  ui.status.className = 'pill ok';
  setText(ui.status, 'Live');
  setText(ui.updated, `updated ${new Date().toLocaleTimeString()}`);
  if (!paused) timer = setTimeout(poll, POLL_MS);
}

// ---------- figures and charts ----------

function showMetrics(m) {
  const now = Date.now() / 1000;
  const perType = byLabel(m, 'mailroom_processes', 'type');
  const processes = Object.values(perType).reduce((a, b) => a + b, 0);
  const mailbox = total(m, 'mailroom_mailbox_messages');
  const deepest = Math.max(0, ...Object.values(byLabel(m, 'mailroom_mailbox_depth_max', 'type')));
  const sent = total(m, 'mailroom_messages_sent_total');
  const chatMessages = total(m, 'mailroom_chat_messages_total');
  const restarts = total(m, 'mailroom_supervisor_restarts_total');
  const bySupervisor = byLabel(m, 'mailroom_supervisor_restarts_total', 'supervisor');
  const exits = byLabel(m, 'mailroom_process_exits_total', 'reason');
  const utilization = schedulerShares(m);

  // a rate over less than a second (an extra refresh after a click) says little: keep the last one
  const fresh = !previous || now - previous.t >= 1 || sent < previous.sent;
  let rate = previous?.rate ?? null;
  let chatRate = previous?.chatRate ?? null;
  if (previous && fresh && sent >= previous.sent) {
    rate = (sent - previous.sent) / (now - previous.t);
    chatRate = Math.max(0, chatMessages - previous.chat) / (now - previous.t);
  }
  if (fresh) previous = { t: now, sent, chat: chatMessages, rate, chatRate };

  tile('tile-processes', formatNumber(processes),
    Object.entries(perType).sort((a, b) => b[1] - a[1]).map(([t, n]) => `${t} ${formatNumber(n)}`).join(' · '));
  tile('tile-mailbox', formatNumber(mailbox), `deepest mailbox ${formatNumber(deepest)}`);
  tile('tile-rate', rate === null ? '–' : formatNumber(rate, rate < 10 ? 1 : 0),
    chatRate === null ? 'put into mailboxes' : `chat ${formatNumber(chatRate, 1)} msg/s`);
  const restartTile = tile('tile-restarts', formatNumber(restarts),
    Object.entries(bySupervisor).filter(([, n]) => n > 0).map(([s, n]) => `${s} ${formatNumber(n)}`).join(' · ')
      || `exits: killed ${formatNumber(exits.killed ?? 0)}, crash ${formatNumber(exits.crash ?? 0)}`);
  if (restartTile.dataset.value !== undefined && Number(restartTile.dataset.value) !== restarts) flash(restartTile);
  restartTile.dataset.value = String(restarts);
  tile('tile-chat', `${formatNumber(total(m, 'mailroom_chat_sessions'))} · ${formatNumber(total(m, 'mailroom_chat_rooms'))}`,
    `${formatNumber(chatMessages)} messages accepted`);
  showRedis(m);

  if (!fresh) return;
  history.t.push(now);
  let known = 0;
  for (const type of TYPES) {
    history.processes[type].push(perType[type] ?? 0);
    known += perType[type] ?? 0;
  }
  history.processes.other.push(processes - known);
  history.mailbox.push(mailbox);
  history.rate.push(rate);
  history.restarts.push(restarts);
  history.running.push(utilization?.running ?? null);
  history.spinning.push(utilization?.spinning ?? null);
  history.busiest.push(utilization?.busiest ?? null);
  while (history.t.length && history.t[0] < now - WINDOW_S) {
    history.t.shift();
    for (const series of [...Object.values(history.processes), history.mailbox, history.rate, history.restarts,
      history.running, history.spinning, history.busiest]) series.shift();
  }
  drawCharts();
}

/**
 * Only a node in cluster mode exports mailroom_cluster_*: there the tile says whether its
 * connections to Redis are open (while they are not, the node refuses send and join).
 */
function showRedis(m) {
  const el = $('tile-redis');
  if (!has(m, 'mailroom_cluster_redis_up')) {
    el.hidden = true;
    return;
  }
  const up = total(m, 'mailroom_cluster_redis_up') >= 1;
  el.hidden = false;
  el.classList.toggle('up', up);
  el.classList.toggle('down', !up);
  el.dataset.state = up ? 'up' : 'down';
  tile('tile-redis', up ? 'up' : 'down',
    `${formatNumber(total(m, 'mailroom_cluster_subscribed_rooms'))} rooms subscribed · `
      + `${formatNumber(total(m, 'mailroom_cluster_gap_fills_total'))} gap fills`
      + (up ? '' : ' · send and join refused'));
}

/**
 * mailroom_scheduler_utilization{scheduler,state}, in percent: the mean running and spinning
 * shares over the schedulers, and the busiest scheduler's running share; null if absent.
 */
function schedulerShares(m) {
  const byScheduler = new Map();
  for (const s of m.get('mailroom_scheduler_utilization') ?? []) {
    const entry = byScheduler.get(s.labels.scheduler) ?? {};
    entry[s.labels.state] = Number.isFinite(s.value) ? s.value : 0;
    byScheduler.set(s.labels.scheduler, entry);
  }
  if (byScheduler.size === 0) return null;
  const all = [...byScheduler.values()];
  const mean = (state) => (100 * all.reduce((sum, e) => sum + (e[state] ?? 0), 0)) / all.length;
  return { running: mean('running'), spinning: mean('spinning'), busiest: 100 * Math.max(...all.map((e) => e.running ?? 0)) };
}

function tile(id, figure, detail) {
  const el = $(id);
  setText(el.querySelector('.figure'), figure);
  setText(el.querySelector('.detail'), detail);
  return el;
}

let uPlot = null;
async function setupCharts() {
  if (uPlot || ui.chartsError.dataset.failed) return;
  try {
    uPlot = (await import('../webjars/uplot/dist/uPlot.esm.js')).default;
  } catch {
    ui.chartsError.dataset.failed = 'true';
    setText(ui.chartsError, 'Charts are unavailable (uPlot did not load); the figures above are still live.');
    ui.chartsError.hidden = false;
    return;
  }
  const styles = getComputedStyle(document.documentElement);
  const axisColor = styles.getPropertyValue('--muted').trim() || '#57606a';
  const gridColor = styles.getPropertyValue('--border').trim() || '#d0d7de';
  const COLORS = Object.fromEntries([...TYPES, 'other'].map((t) => [t, styles.getPropertyValue(`--c-${t}`).trim() || '#6e7781']));
  const clock = (u, splits) => {
    const span = splits.length > 1 ? splits[splits.length - 1] - splits[0] : 0;
    const format = span < 180 ? { hour: '2-digit', minute: '2-digit', second: '2-digit' } : { hour: '2-digit', minute: '2-digit' };
    return splits.map((s) => new Date(s * 1000).toLocaleTimeString([], format));
  };
  const axes = [
    { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor }, values: clock, space: 90 },
    { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor }, size: 50 },
  ];
  const make = (id, series, yRange = (u, min, max) => [0, Math.max(1, max * 1.1)]) => {
    const el = $(id);
    const plot = new uPlot({
      width: Math.max(200, el.clientWidth), height: 150, axes, padding: [8, 30, 0, 0],
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: yRange } },
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, fill: series.length === 1 ? `${s.color}22` : undefined, spanGaps: true }))],
    }, [[]].concat(series.map(() => [])), el);
    new ResizeObserver(() => {
      if (Math.abs(plot.width - el.clientWidth) > 2) plot.setSize({ width: Math.max(200, el.clientWidth), height: 150 });
    }).observe(el);
    charts[id] = plot;
    if (series.length > 1) {
      // a compact legend in the card's title instead of uPlot's table under the plot
      el.parentElement.querySelector('h2').append(...series.map((s) =>
        h('span', { class: 'key' }, h('span', { class: 'swatch', style: `background:${s.color}` }), s.label)));
    }
  };
  make('chart-processes', [...TYPES, 'other'].map((t) => ({ label: t, color: COLORS[t] })));
  make('chart-mailbox', [{ label: 'messages', color: COLORS.room }]);
  make('chart-rate', [{ label: 'messages/s', color: COLORS.session }]);
  make('chart-restarts', [{ label: 'restarts', color: COLORS.counter }]);
  make('chart-utilization', [
    { label: 'running %', color: COLORS.session },
    { label: 'spinning %', color: COLORS.counter },
    { label: 'busiest running %', color: COLORS.supervisor },
  ], () => [0, 100]);
  drawCharts();
}

function drawCharts() {
  if (!uPlot || !charts['chart-processes']) return;
  const t = history.t;
  charts['chart-processes'].setData([t, ...[...TYPES, 'other'].map((k) => history.processes[k])]);
  charts['chart-mailbox'].setData([t, history.mailbox]);
  charts['chart-rate'].setData([t, history.rate]);
  charts['chart-restarts'].setData([t, history.restarts]);
  charts['chart-utilization'].setData([t, history.running, history.spinning, history.busiest]);
}

// ---------- the supervision tree ----------

function showTree(root) {
  const names = new Map();
  const node = (given, supervisor) => {
    const entry = given.name || !given.pid || !namesByPid.has(given.pid) ? given : { ...given, name: namesByPid.get(given.pid) };
    if (entry.name) names.set(entry.name, { pid: entry.pid, restarts: entry.restarts ?? 0, supervisor });
    const restarts = entry.restarts ?? 0;
    const isSupervisor = Array.isArray(entry.children) || entry.strategy || entry.kind === 'supervisor';
    const label = h('div', { class: 'node' },
      h('span', { class: 'name' }, entry.name ?? '(unnamed)'),
      h('span', { class: 'mono muted' }, entry.pid ?? 'not running'),
      h('span', {
        class: 'kind',
        title: isSupervisor && entry.maxRestarts !== undefined
          ? `${entry.strategy}: gives up after ${entry.maxRestarts} restarts within ${entry.withinSeconds} s` : null,
      }, isSupervisor
        ? `${entry.strategy ?? 'supervisor'}${entry.maxRestarts !== undefined ? ` ${entry.maxRestarts}/${entry.withinSeconds}s` : ''}`
        : entry.restart ?? 'worker'),
      h('span', { class: restarts > 0 ? 'restarts some' : 'restarts', title: 'times its supervisor restarted it' }, `restarts ${restarts}`),
      entry.error ? h('span', { class: 'field-error' }, entry.error) : null);
    const li = h('li', { dataset: { name: entry.name ?? '', restarts: String(restarts) } }, label);
    if (Array.isArray(entry.children)) {
      const children = entry.children.map((c) => node(c, entry.name));
      if (entry.truncated) children.push(h('li', { class: 'more' }, `… ${entry.childCount - entry.children.length} more`));
      else if (children.length === 0) children.push(h('li', { class: 'more' }, 'no children'));
      li.appendChild(h('ul', {}, children));
    }
    return li;
  };
  fill(ui.tree, node(root, null));
  restartsByName = names;
}

function showTreeProblem(error) {
  fill(ui.tree, h('li', { class: 'field-error' }, `The supervision tree is not available: ${error.problem?.error ?? error.message}`));
}

// ---------- the process table ----------

function showProcesses(body) {
  const seen = new Set();
  let before = ui.rows.firstChild;
  if (namesByPid.size > 5000) namesByPid.clear();
  for (const p of body.processes ?? []) {
    seen.add(p.pid);
    if (p.name) namesByPid.set(p.pid, p.name);
    let row = rowsByPid.get(p.pid);
    if (!row) row = addRow(p);
    updateRow(row, p);
    if (row.tr === before) before = before.nextSibling;
    else ui.rows.insertBefore(row.tr, before);
  }
  for (const [pid, row] of rowsByPid) {
    if (!seen.has(pid)) {
      row.tr.remove();
      rowsByPid.delete(pid);
    }
  }
  const shown = body.processes?.length ?? 0;
  setText(ui.footer, `Showing ${formatNumber(shown)} of ${formatNumber(body.total ?? shown)} processes${ui.typeFilter.value ? ` of type ${ui.typeFilter.value}` : ''}, largest ${sort} first.`);
}

function addRow(p) {
  const cells = {
    status: h('td', {}), mailbox: h('td', { class: 'num' }), reductions: h('td', { class: 'num' }),
    supervisor: h('td', {}), restarts: h('td', { class: 'num restarts' }),
  };
  const kill = h('button', {
    type: 'button', class: 'small danger kill', 'aria-label': `Kill ${p.name ?? p.pid}`,
    onclick: () => killProcess(p),
  }, 'Kill');
  const tr = h('tr', {
    dataset: { pid: p.pid, name: p.name ?? '', type: p.type ?? '' },
    // the whole row opens the process's page; the pid is a link for the keyboard, Kill stays Kill
    onclick: (event) => {
      if (!event.target.closest('button, a')) location.hash = processHref(p.pid);
    },
  },
    h('td', { class: 'mono' }, h('a', { href: processHref(p.pid), class: 'pid' }, p.pid)),
    h('td', { class: 'mono name' }, p.name ?? '–'),
    h('td', {}, p.type ?? ''),
    cells.status, cells.mailbox, cells.reductions, cells.supervisor, cells.restarts,
    h('td', {}, kill));
  const row = { tr, cells, kill };
  rowsByPid.set(p.pid, row);
  return row;
}

function updateRow(row, p) {
  setText(row.cells.status, p.status ?? '');
  setText(row.cells.mailbox, formatNumber(p.mailbox));
  setText(row.cells.reductions, formatNumber(p.reductions));
  setText(row.cells.supervisor, p.supervisor ?? '–');
  const known = p.name ? restartsByName.get(p.name) : null;
  const restarts = known && known.pid === p.pid ? known.restarts : null;
  setText(row.cells.restarts, restarts === null ? '–' : String(restarts));
  row.tr.classList.toggle('restarted', restarts !== null && restarts > 0 && kills.some((k) => k.name === p.name && k.done === 'restarted'));
}

for (const button of ui.sortButtons) {
  button.addEventListener('click', () => {
    sort = button.dataset.sort;
    for (const b of ui.sortButtons) {
      const on = b === button;
      b.setAttribute('aria-pressed', String(on));
      b.textContent = `${b.dataset.sort === 'mailbox' ? 'Mailbox' : 'Reductions'}${on ? ' ↓' : ''}`;
    }
    poll();
  });
}
ui.typeFilter.addEventListener('change', () => poll());

// ---------- killing a process, and what its supervisor does about it ----------

async function killProcess(p) {
  const before = p.name ? restartsByName.get(p.name) : null;
  const li = h('li', {}, `Killing ${p.pid}${p.name ? ` (${p.name})` : ''}…`);
  ui.killLog.prepend(li);
  while (ui.killLog.children.length > 5) ui.killLog.lastChild.remove();
  try {
    await request(`/actuator/processes/${encodeURIComponent(p.pid)}`, { method: 'DELETE', auth });
  } catch (e) {
    li.className = 'error';
    setText(li, `Could not kill ${p.pid}: ${e.unauthorized ? 'password refused' : e.message}`);
    return;
  }
  setText(li, `Killed ${p.pid}${p.name ? ` (${p.name})` : ''}. Waiting for its supervisor…`);
  kills.push({ name: p.name, pid: p.pid, before, li, until: Date.now() + 8000, done: null });
  poll();
}

function updateKills() {
  for (const k of kills) {
    if (k.done) continue;
    const now = k.name ? restartsByName.get(k.name) : null;
    if (now && now.pid && now.pid !== k.pid) {
      k.done = 'restarted';
      k.li.className = 'ok';
      const counted = k.before && now.restarts > k.before.restarts
        ? `restarts ${k.before.restarts} → ${now.restarts}`
        : `restarts ${now.restarts}: its supervisor was itself restarted`;
      setText(k.li, `Killed ${k.pid} (${k.name}); ${now.supervisor ?? 'its supervisor'} restarted it as ${now.pid}, ${counted}.`);
      const tree = ui.tree.querySelector(`li[data-name="${CSS.escape(k.name)}"] .restarts`);
      if (tree) flash(tree);
    } else if (k.name && !now && k.before) {
      k.done = 'gone';
      setText(k.li, `Killed ${k.pid} (${k.name}); its supervisor did not restart it (${k.before.supervisor === 'sessions' ? 'sessions are temporary: its socket was closed' : 'not a restartable child'}).`);
    } else if (Date.now() > k.until) {
      k.done = 'timeout';
      setText(k.li, `Killed ${k.pid}${k.name ? ` (${k.name})` : ''}; no restart seen.`);
    }
  }
  while (kills.length > 20) kills.shift();
}
