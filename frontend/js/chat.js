// The chat page (/): pick a name, join rooms, talk. The protocol lives in chat-client.js; this
// file only turns its state into DOM (text always as Text nodes, see dom.js).
import { ChatClient, NAME_RULE, ROOM_RULE, MAX_TEXT, checkText, codePoints } from './chat-client.js';
import { h, fill, setText, shortTime } from './dom.js';
import { request } from './http.js';

const $ = (id) => document.getElementById(id);
const ui = {
  gate: $('gate'), nameForm: $('name-form'), name: $('name'), nameSubmit: $('name-submit'), nameError: $('name-error'),
  chat: $('chat'), me: $('me'), status: $('status'),
  banner: $('banner'), bannerText: $('banner-text'), bannerRetry: $('banner-retry'), bannerRename: $('banner-rename'),
  joinedRooms: $('joined-rooms'), joinForm: $('join-form'), joinRoom: $('join-room'), joinError: $('join-error'),
  directory: $('directory'), directoryError: $('directory-error'),
  roomTitle: $('room-title'), roomNotice: $('room-notice'), lists: $('message-lists'),
  composer: $('composer'), text: $('text'), send: $('send'), sendError: $('send-error'), charCount: $('char-count'),
  membersPanel: $('members-panel'), membersToggle: $('members-toggle'), members: $('members'),
};

const client = new ChatClient();
/** @type {string|null} */
let active = null;
let everWelcomed = false;
const lists = new Map();     // room → {ol, nodes: Map<key, li>}
let countdown = null;

// ---------- name ----------

ui.nameForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = ui.name.value.trim();
  if (!NAME_RULE.test(name)) {
    nameProblem(name === '' ? 'Type a name first.' : 'Names are 1–32 letters, digits, “_”, “.” or “-”, without spaces.');
    return;
  }
  nameProblem('');
  ui.nameSubmit.disabled = true;
  ui.nameSubmit.textContent = 'Joining…';
  client.start(name);
});

ui.name.addEventListener('input', () => {
  if (ui.name.getAttribute('aria-invalid') === 'true') nameProblem('');
});

function nameProblem(text) {
  setText(ui.nameError, text);
  ui.name.setAttribute('aria-invalid', text ? 'true' : 'false');
  if (text) ui.name.focus();
}

function showGate(problem) {
  ui.gate.hidden = false;
  ui.chat.hidden = true;
  ui.me.hidden = true;
  ui.nameSubmit.disabled = false;
  ui.nameSubmit.textContent = 'Join';
  nameProblem(problem ?? '');
}

client.addEventListener('rejected', (event) => showGate(event.detail.message));

client.addEventListener('welcome', (event) => {
  everWelcomed = true;
  ui.gate.hidden = true;
  ui.chat.hidden = false;
  ui.me.hidden = false;
  setText(ui.me, `You are ${event.detail.user}`);
  if (client.rooms.size === 0) {
    const wanted = roomInAddress();
    openRoom(ROOM_RULE.test(wanted) ? wanted : 'lobby');
  }
  refreshDirectory();
  if (!ui.text.disabled) ui.text.focus();
});

/** The #room of the address; a malformed escape such as `#%` is no room, not a URIError. */
function roomInAddress() {
  try {
    return decodeURIComponent(location.hash.slice(1));
  } catch {
    return '';
  }
}

// ---------- connection status ----------

client.addEventListener('status', (event) => {
  const { status, reason, retryAt } = event.detail;
  clearInterval(countdown);
  countdown = null;
  ui.status.dataset.status = status;
  ui.status.className = 'pill';
  ui.bannerRename.hidden = true;
  ui.bannerRetry.hidden = false;
  switch (status) {
    case 'online':
      ui.status.classList.add('ok');
      setText(ui.status, 'Connected');
      ui.banner.hidden = true;
      break;
    case 'connecting':
      ui.status.classList.add('warn');
      setText(ui.status, 'Connecting…');
      break;
    case 'waiting': {
      ui.status.classList.add('error');
      setText(ui.status, 'Offline');
      const tick = () => {
        const seconds = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
        banner('error', `${lostBecause(reason)} Reconnecting in ${seconds} s…`);
      };
      tick();
      countdown = setInterval(tick, 500);
      break;
    }
    case 'stopped':
      ui.status.classList.add('error');
      setText(ui.status, 'Disconnected');
      if (reason === 'replaced') {
        banner('error', 'Your session was taken over by another tab or window with your name.');
        ui.bannerRetry.hidden = true;
        ui.bannerRename.hidden = false;
      }
      break;
    default:
      setText(ui.status, 'Not connected');
      ui.banner.hidden = true;
  }
  renderHead();
  renderMembers();
  renderComposer();
});

function lostBecause(reason) {
  switch (reason) {
    case 'unreachable': return everWelcomed ? 'The server cannot be reached.' : 'Cannot reach the chat server.';
    case 'server_full': return 'The server is full.';
    case 'going_away': return 'The server is restarting.';
    case 'slow_consumer': return 'The connection fell too far behind.';
    default: return 'The connection was closed.';
  }
}

function banner(kind, text) {
  ui.banner.className = `banner ${kind}`;
  setText(ui.bannerText, text);
  ui.banner.hidden = false;
}

ui.bannerRetry.addEventListener('click', () => client.reconnectNow());
ui.bannerRename.addEventListener('click', () => {
  ui.banner.hidden = true;
  showGate('');
});

// ---------- rooms ----------

function openRoom(name) {
  client.join(name);
  activate(name);
}

function activate(name) {
  active = name;
  if (name) location.replace(`#${encodeURIComponent(name)}`);
  for (const [room, list] of lists) list.ol.hidden = room !== name;
  if (name) {
    listFor(name).ol.hidden = false;
    client.markRead(name);
    scrollToEnd(listFor(name).ol);
  }
  renderRooms();
  renderHead();
  renderMembers();
  renderComposer();
}

ui.joinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = ui.joinRoom.value.trim().toLowerCase();
  if (!ROOM_RULE.test(name)) {
    setText(ui.joinError, name === '' ? 'Type a room name.' : 'Lowercase letters, digits, “_” or “-”; up to 32.');
    ui.joinRoom.setAttribute('aria-invalid', 'true');
    return;
  }
  ui.joinRoom.value = '';
  ui.joinRoom.setAttribute('aria-invalid', 'false');
  setText(ui.joinError, '');
  openRoom(name);
  ui.text.focus();
});

client.addEventListener('rooms', () => {
  for (const room of [...lists.keys()]) {
    if (!client.rooms.has(room)) {
      lists.get(room).ol.remove();
      lists.delete(room);
    }
  }
  if (active && !client.rooms.has(active)) activate(client.rooms.keys().next().value ?? null);
  renderRooms();
  renderHead();
  scheduleDirectory();
});

function renderRooms() {
  const items = [...client.rooms.values()].map((room) => {
    const current = room.name === active;
    const open = h('button', { type: 'button', class: 'open', onclick: () => activate(room.name) },
      h('span', {}, `#${room.name}`),
      room.unread && !current ? h('span', { class: 'badge', 'aria-label': `${room.unread} unread` }, String(room.unread)) : null);
    const leave = h('button', {
      type: 'button', class: 'leave', title: `Leave #${room.name}`, 'aria-label': `Leave ${room.name}`,
      onclick: () => client.leave(room.name),
    }, '×');
    return h('li', { class: 'room-item', 'aria-current': current ? 'true' : 'false', dataset: { room: room.name } }, open, leave);
  });
  fill(ui.joinedRooms, items.length ? items : h('li', { class: 'muted' }, 'None yet: join one below.'));
  const unread = [...client.rooms.values()].reduce((n, r) => n + (r.name === active && !document.hidden ? 0 : r.unread), 0);
  document.title = unread ? `(${unread}) Mailroom chat` : 'Mailroom chat';
}

function renderHead() {
  const room = active ? client.rooms.get(active) : null;
  setText(ui.roomTitle, room ? `#${room.name}` : 'No room');
  let notice = '';
  if (room && !room.joined) notice = client.status === 'online' ? 'joining…' : 'offline';
  setText(ui.roomNotice, notice);
}

function renderMembers() {
  const room = active ? client.rooms.get(active) : null;
  const members = room?.members ?? [];
  ui.members.classList.toggle('stale', Boolean(room && !room.joined));
  fill(ui.members, members.map((m) =>
    h('li', { class: m === client.user ? 'me' : null }, m, m === client.user ? ' (you)' : '')));
  setText(ui.membersToggle, `Members (${members.length})`);
}

$('rooms-toggle').addEventListener('click', (event) => {
  const open = $('rooms-panel').classList.toggle('open');
  event.currentTarget.setAttribute('aria-expanded', String(open));
  if (open) ui.joinRoom.focus();
});

ui.membersToggle.addEventListener('click', () => {
  const open = ui.membersPanel.classList.toggle('open');
  ui.membersToggle.setAttribute('aria-expanded', String(open));
});

// ---------- the directory of rooms (REST) ----------

let directoryTimer = null;
function scheduleDirectory() {
  clearTimeout(directoryTimer);
  directoryTimer = setTimeout(refreshDirectory, 300);
}

async function refreshDirectory() {
  clearTimeout(directoryTimer);
  directoryTimer = setTimeout(refreshDirectory, 5000);
  if (ui.chat.hidden) return;
  try {
    const rooms = await request('/api/rooms');
    setText(ui.directoryError, '');
    const items = rooms.map((r) => h('li', {},
      h('button', { type: 'button', onclick: () => openRoom(r.room), dataset: { room: r.room } },
        h('span', {}, `#${r.room}`),
        h('span', { class: 'count' }, `${r.members} ${r.members === 1 ? 'member' : 'members'}`))));
    fill(ui.directory, items.length ? items : h('li', { class: 'muted' }, 'No one is in any room.'));
  } catch (e) {
    setText(ui.directoryError, `Room list unavailable: ${e.message}`);
  }
}

// ---------- messages ----------

function listFor(room) {
  let list = lists.get(room);
  if (!list) {
    const ol = h('ol', { class: 'messages', role: 'log', 'aria-label': `Messages in ${room}`, dataset: { room } });
    ol.hidden = room !== active;
    ui.lists.appendChild(ol);
    list = { ol, nodes: new Map() };
    lists.set(room, list);
  }
  return list;
}

client.addEventListener('room', (event) => {
  const { room, change } = event.detail;
  if (change !== 'members' && change !== 'unread') renderMessages(room, change === 'pending');
  if (room === active) {
    if (change === 'members' || change === 'joined') renderMembers();
    if (!document.hidden) client.markRead(room);
    renderHead();
    renderComposer();
  }
  if (change === 'members') scheduleDirectory();
  renderRooms();
});

client.addEventListener('message', (event) => {
  if (event.detail.room === active && !document.hidden) client.markRead(active);
});

document.addEventListener('visibilitychange', () => {
  if (!document.hidden && active) client.markRead(active);
  renderRooms();
});

function renderMessages(roomName, ownSend) {
  const room = client.rooms.get(roomName);
  if (!room) return;
  const { ol, nodes } = listFor(roomName);
  const atEnd = ol.scrollHeight - ol.scrollTop - ol.clientHeight < 60;
  const keep = new Set();
  let cursor = ol.firstChild;
  for (const item of room.items()) {
    keep.add(item.key);
    let li = nodes.get(item.key);
    if (!li) {
      li = item.note ? h('li', { class: 'system-note' }, item.text) : messageNode(item);
      nodes.set(item.key, li);
    } else if (!item.note) {
      updateMessageNode(li, item);
    }
    if (li === cursor) cursor = cursor.nextSibling;
    else ol.insertBefore(li, cursor);
  }
  for (const [key, li] of nodes) {
    if (!keep.has(key)) {
      li.remove();
      nodes.delete(key);
    }
  }
  if (atEnd || ownSend) scrollToEnd(ol);
}

function messageNode(item) {
  const li = h('li', { class: item.mine ? 'message mine' : 'message' },
    h('div', { class: 'meta' },
      h('span', { class: 'from' }, item.from),
      h('time', { class: 'time' }),
      h('span', { class: 'state' })),
    h('div', { class: 'text' }, item.text),
    h('div', { class: 'problem', hidden: true }));
  updateMessageNode(li, item);
  return li;
}

function updateMessageNode(li, item) {
  if (li.dataset.state === item.state && li.dataset.seq === String(item.seq ?? '') && li.dataset.error === (item.error?.code ?? '')) return;
  li.dataset.state = item.state;
  li.dataset.seq = item.seq ?? '';
  li.dataset.error = item.error?.code ?? '';
  const time = li.querySelector('.time');
  if (item.ts) {
    time.dateTime = item.ts;
    time.title = new Date(item.ts).toLocaleString();
    setText(time, shortTime(item.ts));
  }
  const state = li.querySelector('.state');
  const problem = li.querySelector('.problem');
  if (item.state === 'pending') setText(state, 'sending…');
  else if (item.state === 'failed') setText(state, 'not sent');
  else setText(state, item.mine ? '✓ sent' : '');
  if (item.state === 'failed') {
    const room = roomOf(li);
    fill(problem, item.error?.message ?? 'Not sent.', ' ',
      h('button', { type: 'button', class: 'link', onclick: () => client.retry(room, item.key) }, 'Retry'),
      h('button', { type: 'button', class: 'link', onclick: () => client.discard(room, item.key) }, 'Discard'));
    problem.hidden = false;
  } else {
    problem.hidden = true;
    problem.replaceChildren();
  }
}

function roomOf(li) {
  return li.closest('ol.messages')?.dataset.room ?? active;
}

function scrollToEnd(ol) {
  ol.scrollTop = ol.scrollHeight;
}

// ---------- composer ----------

ui.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  sendCurrent();
});

ui.text.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    sendCurrent();
  }
});

ui.text.addEventListener('input', () => {
  autoGrow();
  renderComposer();
});

function sendCurrent() {
  if (!active) return;
  const text = ui.text.value;
  const problem = checkText(active, text);
  if (problem === 'empty') return;
  if (problem) {
    composerProblem(problem === 'too_long'
      ? `Too long: ${codePoints(text)} of at most ${MAX_TEXT} characters.`
      : 'Too large to send: shorten it.');
    return;
  }
  if (client.send(active, text)) {
    ui.text.value = '';
    autoGrow();
    composerProblem('');
    renderComposer();
  }
}

client.addEventListener('problem', (event) => {
  const { room, message } = event.detail;
  if (room) {
    setText(ui.joinError, `#${room}: ${message}`);
  } else {
    composerProblem(message);
  }
});

function composerProblem(text) {
  setText(ui.sendError, text);
  ui.text.setAttribute('aria-invalid', text ? 'true' : 'false');
}

function renderComposer() {
  const room = active ? client.rooms.get(active) : null;
  ui.text.disabled = !room;
  ui.send.disabled = !room;
  ui.text.placeholder = room ? `Message #${room.name}${client.status === 'online' ? '' : ' (sent when back online)'}` : 'Join a room to write';
  const n = codePoints(ui.text.value);
  setText(ui.charCount, n > MAX_TEXT - 500 ? `${n} / ${MAX_TEXT}` : '');
  if (n > MAX_TEXT) composerProblem(`Too long: ${n} of at most ${MAX_TEXT} characters.`);
  else if (ui.sendError.textContent.startsWith('Too long')) composerProblem('');
}

function autoGrow() {
  ui.text.style.height = 'auto';
  ui.text.style.height = `${Math.min(ui.text.scrollHeight + 2, 144)}px`;
}

// handy for debugging from the console, and for the browser tests
window.mailroomChat = client;
