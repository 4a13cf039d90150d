// Baseline for lhttp-bench: the simplest honest WebSocket broadcast server on
// the `ws` package that does lhttpd's pub/sub job, so the benchmark can show
// lhttpd next to a well-known server measured in the same run.
//
// It understands only what the benchmark sends: the `subscribe`, `unsubscribe`
// and `publish` headers of an LHTTP message and an `id` header (answered with
// an ack, as lhttpd does). It keeps channel -> Set of sockets and broadcasts the
// raw published bytes, unchanged, with the frame type they came in (no
// re-encoding: that is less work than lhttpd does). Everything else is ignored.
//
// With --prepared it broadcasts as a careful Node user does: the frame is
// built once per publish (`WebSocket.Sender.frame`, one buffer) and that same
// buffer is written to every subscriber's socket, instead of `ws.send` framing
// (and copying) it again for each one. bufferutil (pinned in package.json) is
// installed for both, so ws masks and unmasks natively.
//
// Usage: node server.js [--listen HOST:PORT] [--prepared]   (default 127.0.0.1:0)
// Prints `baseline listening on HOST:PORT` on stdout once ready.

'use strict';

const { WebSocket, WebSocketServer } = require('ws');

const prepared = process.argv.includes('--prepared');

// The whole frame (header and payload) in one buffer, built once per publish.
function frame(data, isBinary) {
  const parts = WebSocket.Sender.frame(data, {
    fin: true,
    rsv1: false,
    opcode: isBinary ? 2 : 1,
    mask: false,
    readOnly: true,
  });
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

function parseListen(argv) {
  const i = argv.indexOf('--listen');
  const value = i >= 0 && argv[i + 1] ? argv[i + 1] : '127.0.0.1:0';
  const colon = value.lastIndexOf(':');
  return { host: value.slice(0, colon), port: Number(value.slice(colon + 1)) };
}

// Splits the header block of an LHTTP message (up to the first empty line).
// Returns [[name, value], ...] with lowercase names, or null when the message
// does not start with the LHTTP/1.0 start line.
function headers(buf) {
  // Header blocks are ASCII/UTF-8; only the part before the body is decoded.
  const end = buf.indexOf('\r\n\r\n');
  const head = buf.toString('utf8', 0, end < 0 ? buf.length : end);
  const lines = head.split(/\r?\n/);
  if (!lines[0].startsWith('LHTTP/1.0 ')) return null;
  const out = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    out.push([line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return out;
}

function channelList(value) {
  return value.split(/[ \t]+/).filter((c) => c.length > 0);
}

const channels = new Map(); // channel name -> Set<WebSocket>
let nextId = 0;

function subscribe(ws, ch) {
  let set = channels.get(ch);
  if (!set) channels.set(ch, (set = new Set()));
  set.add(ws);
  ws.lhttpChannels.add(ch);
}

function unsubscribe(ws, ch) {
  const set = channels.get(ch);
  if (!set) return;
  set.delete(ws);
  if (set.size === 0) channels.delete(ch);
  ws.lhttpChannels.delete(ch);
}

function onMessage(ws, data, isBinary) {
  const hs = headers(data);
  if (!hs) return;
  let id = null;
  const publish = [];
  for (const [name, value] of hs) {
    if (name === 'subscribe') channelList(value).forEach((ch) => subscribe(ws, ch));
    else if (name === 'unsubscribe') channelList(value).forEach((ch) => unsubscribe(ws, ch));
    else if (name === 'publish') publish.push(...channelList(value));
    else if (name === 'id') id = value;
  }
  let deliveries = 0;
  if (publish.length > 0) {
    const seen = publish.length > 1 ? new Set() : null;
    const once = prepared ? frame(data, isBinary) : null;
    for (const ch of publish) {
      const set = channels.get(ch);
      if (!set) continue;
      for (const sub of set) {
        if (seen) {
          if (seen.has(sub)) continue;
          seen.add(sub);
        }
        if (once) {
          // ws's own sender writes it, so it never interleaves with ws's pongs.
          if (sub.readyState === WebSocket.OPEN) sub._sender.sendFrame([once]);
        } else {
          sub.send(data, { binary: isBinary });
        }
        deliveries++;
      }
    }
  }
  if (id !== null) {
    const extra = publish.length > 0 ? `deliveries:${deliveries}\r\n` : '';
    ws.send(`LHTTP/1.0 ack\r\nid:${id}\r\n${extra}\r\n`);
  }
}

const { host, port } = parseListen(process.argv.slice(2));
const wss = new WebSocketServer({ host, port, perMessageDeflate: false, clientTracking: false });

wss.on('connection', (ws) => {
  ws.lhttpChannels = new Set();
  ws.send(`LHTTP/1.0 connected\r\nclient-id:${nextId++}\r\n\r\n`);
  ws.on('message', (data, isBinary) => onMessage(ws, data, isBinary));
  ws.on('close', () => {
    for (const ch of [...ws.lhttpChannels]) unsubscribe(ws, ch);
  });
  ws.on('error', () => {});
});

wss.on('listening', () => {
  const addr = wss.address();
  process.stdout.write(`baseline listening on ${addr.address}:${addr.port}\n`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(0));
}
