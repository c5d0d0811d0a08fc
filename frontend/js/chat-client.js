// The chat protocol (protocol.md §1) as a browser object, without any DOM: one WebSocket, the
// rooms this tab wants to be in, their messages by seq, and messages of our own that are still
// pending. It reconnects by itself with back-off, resumes its name with the session token, and
// joins its rooms again with `since` so that nothing sent meanwhile is lost or shown twice. Seqs
// belong to the room's epoch (v1.1): when a `joined` names another epoch than the one our seqs came
// from (the server started the room again from seq 1), those messages are dropped, never mixed.
//
// Events (all CustomEvent, details in brackets):
//   status   {status, attempt, retryAt, reason}   status: idle | connecting | online | waiting | stopped
//   welcome  {user}
//   rejected {code, message}                      the name was refused; no reconnect
//   room     {room, change}                       a room's state changed (members, messages, pending…)
//   rooms    {}                                   the set of rooms changed (joined, left)
//   message  {room, message}                      a new message from someone else
//   problem  {room, code, message}                an error frame that belongs to no pending message

export const NAME_RULE = /^[A-Za-z0-9_.-]{1,32}$/;
export const ROOM_RULE = /^[a-z0-9][a-z0-9_-]{0,31}$/;
export const MAX_TEXT = 4000;            // code points
export const MAX_FRAME_BYTES = 16384;    // UTF-8 bytes of one frame
const MAX_KEPT = 3000;                   // messages kept per room in this tab
const PAGE = 1000;                       // the most one history or REST page holds

/** Why an error code happened, said to a person. */
export function explain(code, fallback) {
  switch (code) {
    case 'invalid_name': return 'Names are 1–32 letters, digits, "_", "." or "-", without spaces.';
    case 'name_taken': return 'That name is in use right now. Pick another one.';
    case 'server_full': return 'The server is full. Trying again shortly…';
    case 'rate_limited': return 'Sending too fast: this message was dropped.';
    case 'invalid_text': return 'Messages must be 1–4000 characters and not only spaces.';
    case 'invalid_room': return 'Room names are lowercase letters, digits, "_" or "-", up to 32, starting with a letter or digit.';
    case 'too_many_rooms': return 'You are in too many rooms: leave one first.';
    case 'not_joined': return 'You are not in that room (any more).';
    case 'frame_too_large': return 'That message is too large to send.';
    default: return fallback || code;
  }
}

export function codePoints(text) {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** null when text may be sent, else the reason it may not. */
export function checkText(room, text) {
  if (text.trim() === '') return 'empty';
  if (codePoints(text) > MAX_TEXT) return 'too_long';
  const bytes = new TextEncoder().encode(JSON.stringify({ type: 'send', room, text, ref: 'c0000000000' })).length;
  if (bytes > MAX_FRAME_BYTES) return 'too_large';
  return null;
}

class RoomState {
  constructor(name) {
    this.name = name;
    this.joined = false;        // the server said joined, on the current socket
    this.joining = false;       // a join frame is on its way
    this.everJoined = false;    // so a re-join asks for `since`
    this.members = [];
    this.messages = [];         // sorted by seq: {key, seq, from, text, ts, mine, state: 'sent'}
    this.seqs = new Set();
    this.lastSeq = 0;           // highest seq seen in a message, ack or history
    this.pending = [];          // our own, not acknowledged: {key, ref, text, state: 'pending'|'failed', error, transmitted}
    this.unread = 0;
    this.truncated = false;     // some messages we missed are no longer stored
    this.epoch = null;          // the epoch our seqs belong to (v1.1); null before the first joined
    this.notes = [];            // {key, note: true, afterSeq, text}: system notes in the message list
  }

  /** Every item of the message list, in order: stored messages by seq, then our pending ones. */
  items() {
    const out = [];
    const notes = [...this.notes].sort((a, b) => a.afterSeq - b.afterSeq);
    let n = 0;
    for (const m of this.messages) {
      while (n < notes.length && notes[n].afterSeq < m.seq) out.push(notes[n++]);
      out.push(m);
    }
    while (n < notes.length) out.push(notes[n++]);
    return out.concat(this.pending);
  }
}

let localIds = 0;

export class ChatClient extends EventTarget {
  constructor({ url = defaultUrl(), fetchImpl = (...a) => fetch(...a) } = {}) {
    super();
    this.url = url;
    this.fetch = fetchImpl;
    this.user = null;
    this.token = null;
    this.rooms = new Map();
    this.status = 'idle';
    this.attempt = 0;
    this.socket = null;
    this.timer = null;
    this.refs = 0;
    this.welcomed = false;      // welcome seen on the current socket
    this.lastJoin = null;       // the room of the join frame most recently sent (errors carry no room)
    window.addEventListener('online', () => { if (this.status === 'waiting') this.reconnectNow(); });
  }

  // ---------- connection ----------

  /** Connects as name (a fresh start: no resume token). */
  start(name) {
    this.stop();
    this.user = name;
    this.token = null;
    this.attempt = 0;
    this.connect();
  }

  /** Closes the socket and stops reconnecting; rooms and messages stay for a later start. */
  stop() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.socket) {
      const s = this.socket;
      this.socket = null;
      s.close(1000, 'bye');
    }
    this.markAllDisconnected();
    this.setStatus('idle');
  }

  reconnectNow() {
    if (this.status !== 'waiting' && this.status !== 'stopped') return;
    clearTimeout(this.timer);
    this.timer = null;
    this.connect();
  }

  connect() {
    const params = new URLSearchParams({ user: this.user });
    if (this.token) params.set('resume', this.token);
    this.welcomed = false;
    this.setStatus('connecting');
    let socket;
    try {
      socket = new WebSocket(`${this.url}?${params}`);
    } catch (e) {
      this.scheduleReconnect('unreachable');
      return;
    }
    this.socket = socket;
    let refusal = null;
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      let frame;
      try { frame = JSON.parse(event.data); } catch { return; }
      if (frame?.type === 'error' && !this.welcomed) refusal = frame;
      this.onFrame(frame);
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.onClose(event, refusal);
    };
    socket.onerror = () => { /* a close event follows */ };
  }

  onClose(event, refusal) {
    this.markAllDisconnected();
    if (refusal && (refusal.code === 'invalid_name' || refusal.code === 'name_taken')) {
      this.token = null;
      this.setStatus('stopped', refusal.code);
      this.emit('rejected', { code: refusal.code, message: explain(refusal.code, refusal.message) });
      return;
    }
    if (event.code === 4000) {
      // our session was resumed by someone holding our token (another tab of ours): let it be
      this.token = null;
      this.setStatus('stopped', 'replaced');
      return;
    }
    let reason = 'closed';
    if (refusal?.code === 'server_full' || event.code === 1013) reason = 'server_full';
    else if (!this.welcomed) reason = 'unreachable';
    else if (event.code === 1001) reason = 'going_away';
    else if (event.reason === 'slow_consumer') reason = 'slow_consumer';
    this.scheduleReconnect(reason, event.code);
  }

  scheduleReconnect(reason, code) {
    this.attempt++;
    const base = Math.min(15000, 1000 * 2 ** (this.attempt - 1));
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    const retryAt = Date.now() + delay;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.timer = null; this.connect(); }, delay);
    this.setStatus('waiting', reason, { retryAt, code });
  }

  setStatus(status, reason = null, extra = {}) {
    this.status = status;
    this.emit('status', { status, attempt: this.attempt, reason, ...extra });
  }

  markAllDisconnected() {
    for (const room of this.rooms.values()) {
      room.joined = false;
      room.joining = false;
    }
  }

  transmit(frame) {
    if (!this.socket || this.socket.readyState !== 1 || !this.welcomed) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  emit(type, detail = {}) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  // ---------- what the user does ----------

  /** Joins room (or just returns it when already wanted). */
  join(name) {
    let room = this.rooms.get(name);
    if (!room) {
      room = new RoomState(name);
      this.rooms.set(name, room);
      this.emit('rooms');
    }
    this.sendJoin(room);
    return room;
  }

  leave(name) {
    const room = this.rooms.get(name);
    if (!room) return;
    this.transmit({ type: 'leave', room: name });
    this.rooms.delete(name);
    this.emit('rooms');
  }

  /** Sends text to room; returns the pending item, or null when the text may not be sent. */
  send(name, text) {
    const room = this.rooms.get(name);
    if (!room || checkText(name, text)) return null;
    const item = { key: `p${++localIds}`, ref: null, text, from: this.user, mine: true, state: 'pending', error: null, transmitted: false };
    room.pending.push(item);
    this.transmitPending(room, item);
    this.emit('room', { room: name, change: 'pending' });
    return item;
  }

  /** Sends a failed message again. */
  retry(name, key) {
    const room = this.rooms.get(name);
    const item = room?.pending.find((p) => p.key === key);
    if (!item) return;
    item.state = 'pending';
    item.error = null;
    item.transmitted = false;
    this.transmitPending(room, item);
    this.emit('room', { room: name, change: 'pending' });
  }

  /** Forgets a failed message. */
  discard(name, key) {
    const room = this.rooms.get(name);
    if (!room) return;
    room.pending = room.pending.filter((p) => p.key !== key);
    this.emit('room', { room: name, change: 'pending' });
  }

  markRead(name) {
    const room = this.rooms.get(name);
    if (room && room.unread) {
      room.unread = 0;
      this.emit('room', { room: name, change: 'unread' });
    }
  }

  sendJoin(room) {
    if (room.joined || room.joining) return;
    const frame = { type: 'join', room: room.name };
    if (room.everJoined) frame.since = room.lastSeq;
    if (this.transmit(frame)) {
      room.joining = true;
      this.lastJoin = room.name;
    }
  }

  transmitPending(room, item) {
    if (!room.joined) return; // sent once the room is joined again
    item.ref = `c${++this.refs}`;
    item.transmitted = this.transmit({ type: 'send', room: room.name, text: item.text, ref: item.ref });
  }

  // ---------- what the server says ----------

  onFrame(frame) {
    switch (frame?.type) {
      case 'welcome': return this.onWelcome(frame);
      case 'joined': return this.onJoined(frame);
      case 'left': return this.onLeft(frame);
      case 'presence': return this.onPresence(frame);
      case 'message': return this.onMessage(frame);
      case 'ack': return this.onAck(frame);
      case 'error': return this.onError(frame);
      default: return undefined;
    }
  }

  onWelcome(frame) {
    this.welcomed = true;
    this.user = frame.user;
    this.token = frame.session;
    this.attempt = 0;
    this.setStatus('online');
    this.emit('welcome', { user: frame.user });
    for (const room of this.rooms.values()) this.sendJoin(room);
  }

  onJoined(frame) {
    const room = this.rooms.get(frame.room);
    if (!room) {
      // joined a room we let go of meanwhile: leave it again
      this.transmit({ type: 'leave', room: frame.room });
      return;
    }
    const rejoin = room.everJoined;
    room.joined = true;
    room.joining = false;
    room.everJoined = true;
    room.members = [...(frame.members ?? [])];
    if (room.epoch !== null && frame.epoch !== room.epoch) {
      // the room's seqs started again: ours mean other messages now. Drop them, and join again
      // without since (this history answered a since of the old epoch), as the contract says.
      this.startEpoch(room, frame.epoch);
      // our pending messages go out when that joined comes, as on any join
      room.joined = false;
      room.joining = this.transmit({ type: 'join', room: room.name });
      this.emit('room', { room: room.name, change: 'messages' });
      this.emit('rooms');
      return;
    }
    room.epoch = frame.epoch ?? null;
    if (frame.truncated) {
      room.truncated = true;
      room.notes.push({ key: `n${++localIds}`, note: true, afterSeq: room.lastSeq, text: 'Some messages from while you were away are no longer stored.' });
    }
    const history = frame.history ?? [];
    this.addStored(room, history);
    if (!rejoin) room.unread = 0; // the backlog shown on a first join is not news
    // our pending messages that did not make it into the history were never accepted: send them now
    for (const item of room.pending) {
      if (item.state === 'pending') this.transmitPending(room, item);
    }
    this.emit('room', { room: room.name, change: 'joined' });
    this.emit('rooms');
    // more (v1.1): the catch-up stopped at 1,000 messages or 1 MiB; page on with REST
    if (rejoin && (frame.more || history.length >= PAGE)) this.catchUp(room, room.lastSeq);
  }

  /** Forgets every message of the room's previous epoch (our pending ones stay) and notes the restart. */
  startEpoch(room, epoch) {
    room.epoch = epoch ?? null;
    room.messages = [];
    room.seqs.clear();
    room.lastSeq = 0;
    room.unread = 0;
    room.truncated = false;
    room.notes = [{ key: `n${++localIds}`, note: true, afterSeq: 0, text: 'The server started this room afresh: earlier messages are no longer shown.' }];
  }

  onLeft(frame) {
    const room = this.rooms.get(frame.room);
    if (room) {
      room.joined = false;
      this.rooms.delete(frame.room);
      this.emit('rooms');
    }
  }

  onPresence(frame) {
    const room = this.rooms.get(frame.room);
    if (!room) return;
    const others = room.members.filter((m) => m.toLowerCase() !== String(frame.user).toLowerCase());
    if (frame.event === 'join') others.push(frame.user);
    room.members = others.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    this.emit('room', { room: room.name, change: 'members', event: frame.event, user: frame.user });
  }

  onMessage(frame) {
    const room = this.rooms.get(frame.room);
    if (!room || room.seqs.has(frame.seq)) return;
    const gapFrom = room.joined && room.lastSeq > 0 && frame.seq > room.lastSeq + 1 ? room.lastSeq : null;
    const added = this.addStored(room, [frame]);
    if (gapFrom !== null) this.catchUp(room, gapFrom);
    if (added.length) this.emit('message', { room: room.name, message: added[0] });
  }

  onAck(frame) {
    const room = this.rooms.get(frame.room);
    if (!room) return;
    const i = room.pending.findIndex((p) => p.ref !== null && p.ref === frame.ref);
    if (i >= 0) {
      const [item] = room.pending.splice(i, 1);
      if (!room.seqs.has(frame.seq)) {
        Object.assign(item, { seq: frame.seq, ts: frame.ts, state: 'sent', error: null });
        this.insert(room, item);
      }
    }
    room.lastSeq = Math.max(room.lastSeq, frame.seq);
    this.emit('room', { room: room.name, change: 'ack' });
  }

  onError(frame) {
    if (frame.ref) {
      for (const room of this.rooms.values()) {
        const item = room.pending.find((p) => p.ref === frame.ref);
        if (item) {
          item.state = 'failed';
          item.error = { code: frame.code, message: explain(frame.code, frame.message) };
          this.emit('room', { room: room.name, change: 'failed' });
          return;
        }
      }
    }
    if (!this.welcomed) return; // a refusal of the connection: handled when it closes
    let room = null;
    if ((frame.code === 'invalid_room' || frame.code === 'too_many_rooms') && this.lastJoin) {
      // join frames carry no ref: the error is about the join we sent last
      room = this.lastJoin;
      const state = this.rooms.get(room);
      if (state && !state.joined) {
        this.rooms.delete(room);
        this.emit('rooms');
      }
    }
    this.emit('problem', { room, code: frame.code, message: explain(frame.code, frame.message) });
  }

  // ---------- messages ----------

  /** Adds stored messages (history, REST pages, live ones); returns those that were new. */
  addStored(room, frames) {
    const added = [];
    for (const f of frames) {
      if (typeof f.seq !== 'number' || room.seqs.has(f.seq)) continue;
      const mine = f.from === this.user;
      // one of ours that was accepted before we lost its ack: it stops being pending
      const i = mine ? room.pending.findIndex((p) => p.transmitted && p.state === 'pending' && p.text === f.text) : -1;
      let item;
      if (i >= 0) {
        [item] = room.pending.splice(i, 1);
        Object.assign(item, { seq: f.seq, ts: f.ts, state: 'sent', error: null });
      } else {
        item = { key: `m${++localIds}`, seq: f.seq, from: f.from, text: f.text, ts: f.ts, mine, state: 'sent' };
        if (!mine) room.unread++;
        added.push(item);
      }
      this.insert(room, item);
      room.lastSeq = Math.max(room.lastSeq, f.seq);
    }
    if (room.messages.length > MAX_KEPT) {
      for (const old of room.messages.splice(0, room.messages.length - MAX_KEPT)) room.seqs.delete(old.seq);
    }
    if (frames.length) this.emit('room', { room: room.name, change: 'messages' });
    return added;
  }

  insert(room, item) {
    room.seqs.add(item.seq);
    const list = room.messages;
    let i = list.length;
    while (i > 0 && list[i - 1].seq > item.seq) i--;
    list.splice(i, 0, item);
  }

  /**
   * Fetches stored messages after seq over REST, page by page, for as long as the server says
   * `Mailroom-More: true`: a page ends at 1000 messages or 1 MiB of frames, whichever comes first,
   * so its length alone does not tell whether we have caught up. A page of another epoch is not
   * ours: the room started again, and the next joined says so.
   */
  async catchUp(room, since) {
    try {
      for (let after = since; ;) {
        const response = await this.fetch(`/api/rooms/${encodeURIComponent(room.name)}/messages?since=${after}&limit=${PAGE}`,
          { credentials: 'omit', cache: 'no-store' });
        if (!response.ok) return;
        const epoch = response.headers.get('Mailroom-Epoch');
        const page = await response.json();
        if (this.rooms.get(room.name) !== room || (epoch !== null && epoch !== room.epoch)) return;
        this.addStored(room, page);
        const last = page.length ? page[page.length - 1].seq : after;
        // the seq must rise every page, so the loop ends whatever the server says
        if (response.headers.get('Mailroom-More') !== 'true' || !(last > after)) return;
        after = last;
      }
    } catch {
      // offline again: the next re-join asks with since
    }
  }
}

export function defaultUrl() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws/chat`;
}
