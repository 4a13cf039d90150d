// The original lhttp-javascript-sdk API (Context) without its bugs, checked on
// the bytes a Context writes and on messages parsed by the wasm codec.
import test from 'node:test';
import assert from 'node:assert/strict';
import { wasmBytes } from './helpers/wasm.js';
import { init, parse, Context, MultipartBuilder } from '../index.js';

await init(wasmBytes);

/** A Context over `received` (or none) whose sends are collected as parsed messages. */
function contextFor(received) {
  const sent = [];
  const context = new Context({ send: (bytes) => sent.push(parse(bytes)) }, received == null ? null : parse(received));
  return { context, sent };
}

test('a header value holding ":" is read whole (the old SDK cut it at the second colon)', () => {
  const { context } = contextFor('LHTTP/1.0 chat\r\nupstream:POST http://127.0.0.1:9000/record\r\ntime:5:30:48\r\n\r\nhi');
  assert.equal(context.getHeader('upstream'), 'POST http://127.0.0.1:9000/record');
  assert.equal(context.getHeader('time'), '5:30:48');
});

test('a body holding "\\r\\n\\r\\n" is read whole (the old SDK kept only the first piece)', () => {
  const body = 'first\r\n\r\nsecond\r\n\r\nthird: not a header';
  const { context } = contextFor(`LHTTP/1.0 chat\r\npublish:room\r\n\r\n${body}`);
  assert.equal(context.getBody(), body);
  assert.deepEqual(context.getHeaders(), [['publish', 'room']]);
});

test('getHeader(name) returns that header, case-insensitively (the old SDK ignored its argument)', () => {
  const { context } = contextFor('LHTTP/1.0 chat\r\nFrom:alice\r\nto:bob\r\n\r\n');
  assert.equal(context.getHeader('from'), 'alice');
  assert.equal(context.getHeader('TO'), 'bob');
  assert.equal(context.getHeader('missing'), undefined);
  assert.equal(context.getCommand(), 'chat');
});

test('headers added for one send do not leak into the next (the old SDK reused them)', () => {
  const { context, sent } = contextFor(null);
  context.publish('room', 'chat', { from: 'alice' }, 'hello');
  context.subscribe('other', 'chat', null, '');
  context.addHeader('x', '1');
  context.setCommand('ping');
  context.send('');
  context.setCommand('ping');
  context.send('');
  assert.deepEqual(sent[0].headers, [['publish', 'room'], ['from', 'alice']]);
  assert.deepEqual(sent[1].headers, [['subscribe', 'other']]);
  assert.deepEqual(sent[2].headers, [['x', '1']]);
  assert.deepEqual(sent[3].headers, []);
});

test('publish and subscribe keep the original signature and bytes', () => {
  const bytes = [];
  const context = new Context({ send: (b) => bytes.push(new TextDecoder().decode(b)) });
  context.subscribe('chatroom', 'chat', null, '');
  context.publish('chatroom', 'chat', { from: 'me' }, 'hello');
  context.publish(['a', 'b'], null, [['k', 'v:w']], 'x');
  context.unsubscribe('chatroom');
  assert.deepEqual(bytes, [
    'LHTTP/1.0 chat\r\nsubscribe:chatroom\r\n\r\n',
    'LHTTP/1.0 chat\r\npublish:chatroom\r\nfrom:me\r\n\r\nhello',
    'LHTTP/1.0 publish\r\npublish:a b\r\nk:v:w\r\n\r\nx',
    'LHTTP/1.0 unsubscribe\r\nunsubscribe:chatroom\r\n\r\n',
  ]);
});

test('send() answers with the received command unless one is set', () => {
  const { context, sent } = contextFor('LHTTP/1.0 echo\r\n\r\nping');
  context.send('pong');
  context.setCommand('other');
  context.send('');
  assert.deepEqual([sent[0].command, sent[0].text], ['echo', 'pong']);
  assert.equal(sent[1].command, 'other');
});

test('an invalid field throws the core error name and does not leak into the next send', () => {
  const { context, sent } = contextFor(null);
  context.addHeader('from', ' padded ');
  assert.throws(() => context.publish('room', 'chat', null, 'x'), (e) => e.code === 'HeaderValue');
  assert.throws(() => context.send('no command'), (e) => e.code === 'Command');
  context.publish('room', 'chat', null, 'ok');
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0].headers, [['publish', 'room']]);
});

test('getMultipart() gives the parts of a received multipart message', () => {
  const { context } = contextFor('LHTTP/1.0 upload\r\nmultipart:0 14\r\n\r\nk1:v1\r\n\r\nbody1k2:v2\r\n\r\nbody2');
  const parts = context.getMultipart();
  assert.deepEqual(parts.map((p) => [p.header('K1') ?? p.header('k2'), p.text]), [['v1', 'body1'], ['v2', 'body2']]);
  assert.deepEqual(contextFor('LHTTP/1.0 c\r\n\r\n').context.getMultipart(), []);
  assert.throws(
    () => contextFor('LHTTP/1.0 upload\r\nmultipart:0 99\r\n\r\nk:v\r\n\r\nb').context.getMultipart(),
    (e) => e.code === 'PartOffset',
  );
});

test('appendPart() sends a multipart message (the original left it as a TODO)', () => {
  const { context, sent } = contextFor(null);
  context.setCommand('upload');
  context.appendPart({ k1: 'v1' }, 'body1');
  context.appendPart([['k2', 'v2']], new TextEncoder().encode('body2'));
  context.send();
  assert.equal(sent[0].header('multipart'), '0 14');
  assert.deepEqual(sent[0].parts().map((p) => p.text), ['body1', 'body2']);
});

test('MultipartBuilder writes offsets through the codec', () => {
  const builder = new MultipartBuilder('upload')
    .header('publish', 'files')
    .part({ 'content-type': 'text/json' }, '{filename:file.txt,fileLen:5}')
    .part(new Map([['content-type', 'text/plain']]), 'hello');
  const text = new TextDecoder().decode(builder.encode([['id', '7']]));
  assert.equal(
    text,
    'LHTTP/1.0 upload\r\npublish:files\r\nid:7\r\nmultipart:0 55\r\n\r\n' +
      'content-type:text/json\r\n\r\n{filename:file.txt,fileLen:5}content-type:text/plain\r\n\r\nhello',
  );
  assert.equal(builder.size, 2);
  assert.throws(() => new MultipartBuilder('upload').encode(), (e) => e.code === 'PartOffset');
});
