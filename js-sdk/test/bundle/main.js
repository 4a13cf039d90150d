// A page built by a bundler (Vite) from the js-sdk sources: the wasm codec is
// an asset the bundler copies and the SDK loads at run time.
import { Lhttp, parse } from '../../index.js';

const out = document.getElementById('out');
const client = new Lhttp(`ws://${location.host}/`);
// The iterator sees messages from its creation on: make it before publishing.
const messages = client[Symbol.asyncIterator]();
try {
  await client.subscribe('bundled');
  await client.publish(['bundled'], 'hello from a bundle', { command: 'chat' });
  for (;;) {
    const { value: msg, done } = await messages.next();
    if (done) throw new Error('closed before the message arrived');
    if (msg.command !== 'chat') continue;
    const parsed = parse('LHTTP/1.0 check\r\nk:v\r\n\r\n');
    out.textContent = `${msg.text} / ${parsed.command} ${parsed.header('K')}`;
    break;
  }
} catch (e) {
  out.textContent = `error: ${e.code ?? ''} ${e.message}`;
}
