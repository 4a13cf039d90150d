/* The connection settings and the calls no other C test makes, against live lhttpds
 * (scripts/test-c.sh). It exists because lhttp.h promised these without a test that would fail
 * when the promise broke (issue 20):
 *   config PLAIN_URL HTTP_BASE PUBLISH_TOKEN IDLE_URL GONE_URL
 * PLAIN_URL and HTTP_BASE are one lhttpd started with --publish-token PUBLISH_TOKEN; IDLE_URL an
 * lhttpd with --idle-timeout 1 --ping-interval 2 (its first idleness check 2 s after a connection
 * opens); GONE_URL an lhttpd the script kills when this program prints "stop the server" (it then
 * writes a line to stdin).
 * 1. every setter: OK for a good value, NULL_PARAMETER for a NULL config (and a NULL pem with a
 *    length for lhttp_config_set_ca_pem); max_buffered 0 is OK (the doc: at least 1);
 * 2. connect_timeout_ms 300 against a TCP listener that accepts nothing is TIMEOUT (a SIGALRM
 *    at 8 s fails the test: the default, 10 s, would be ignoring the setting);
 * 3. max_buffered 1: one unread publication stops the reading, so a publish's ack waits; with
 *    request_timeout_ms 300 it is TIMEOUT although a thread drains the message after 2 s (with
 *    the default 10 s the publish would return OK then); the same with max_buffered 2 is OK;
 *    after the drain the client works again;
 * 4. ping_interval_ms 300 keeps a connection past lhttpd's idle timeout: after 3.5 s without
 *    traffic it still receives a publication, while a connection without pings, opened at the
 *    same time, is CLOSED and not reached (deliveries 1);
 * 5. lhttp_client_send writes a raw publish (with an id) that arrives through lhttp_client_recv;
 *    bytes that do not parse are the codec's VERSION, and nothing is sent;
 * 6. lhttp_http_publish: UNAUTHORIZED without the token and with a wrong one (deliveries left
 *    alone, nothing delivered); with it OK, deliveries 1, and the subscriber receives it;
 * 7. max_attempts 2 with reconnect: once the server is gone, lhttp_client_recv ends after the
 *    attempts (SIGALRM at 20 s otherwise: max_attempts 0 would retry forever) with CONNECT, the
 *    last attempt's failure (lhttp.h names no result for this; CONNECT is what "could not be
 *    made" documents), and a subscribe after it is CLOSED;
 * 8. lhttp_client_close: OK, then send, publish and subscribe are CLOSED; lhttp_client_free after
 *    it is valgrind clean.
 * Prints "ok: ..." or "FAILED: ..." per check; exits 0 only when every check passed. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "lhttp.h"

static int failed = 0;

static void check(int ok, const char *what) {
  printf("%s: %s\n", ok ? "ok" : "FAILED", what);
  fflush(stdout);
  if (!ok) failed++;
}

static void why(const char *what, lhttp_result r) {
  char text[512];
  lhttp_last_error(text, sizeof text);
  printf("  %s: %s (%s)\n", what, lhttp_result_str(r), text);
}

static void pause_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&t, NULL);
}

/* A watchdog for a call that must end on its own: the signal fails the test. */
static const char *watched = "";
static void watchdog(int sig) {
  (void)sig;
  const char *head = "FAILED: no result in time: ";
  ssize_t w = write(1, head, strlen(head));
  w = write(1, watched, strlen(watched));
  w = write(1, "\n", 1);
  (void)w;
  _exit(1);
}
static void watch(const char *what, unsigned secs) {
  watched = what;
  alarm(secs);
}

static int body_is(const lhttp_message *msg, const char *want) {
  lhttp_bytes b;
  return msg && lhttp_message_body(msg, &b) == LHTTP_RESULT_OK && b.len == strlen(want) && !memcmp(b.data, want, b.len);
}

static int command_is(const lhttp_message *msg, const char *want) {
  lhttp_str s;
  return msg && lhttp_message_command(msg, &s) == LHTTP_RESULT_OK && s.len == strlen(want) && !memcmp(s.data, want, s.len);
}

static lhttp_config *config_for(const char *url) {
  lhttp_config *config = NULL;
  lhttp_result r = lhttp_config_new(url, strlen(url), &config);
  if (r != LHTTP_RESULT_OK) why("config", r);
  return config;
}

static lhttp_client *connect_with(lhttp_config *config) {
  lhttp_client *c = NULL;
  lhttp_result r = config ? lhttp_client_connect_config(config, &c) : LHTTP_RESULT_NULL_PARAMETER;
  if (r != LHTTP_RESULT_OK) why("connect", r);
  return c;
}

static lhttp_client *connect_plain(const char *url) {
  lhttp_client *c = NULL;
  lhttp_result r = lhttp_client_connect(url, strlen(url), 5000, &c);
  if (r != LHTTP_RESULT_OK) why("connect", r);
  return c;
}

static lhttp_result publish(lhttp_client *c, const char *channel, const char *body, uint64_t *n) {
  return lhttp_client_publish(c, channel, strlen(channel), "chat", 4, NULL, 0, (const uint8_t *)body, strlen(body), n);
}

/* Receives one message and checks its body. */
static int receives(lhttp_client *c, const char *want) {
  lhttp_message *msg = NULL;
  lhttp_result r = lhttp_client_recv(c, 5000, &msg);
  int ok = r == LHTTP_RESULT_OK && body_is(msg, want);
  if (r != LHTTP_RESULT_OK) why("recv", r);
  lhttp_message_free(msg);
  return ok;
}

/* 1. */
static void setters(const char *url) {
  lhttp_config *config = config_for(url);
  if (!config) {
    check(0, "lhttp_config_new");
    return;
  }
  const uint8_t pem[] = "-----BEGIN CERTIFICATE-----\n";
  check(lhttp_config_set_reconnect(config, true) == LHTTP_RESULT_OK &&
            lhttp_config_set_ping_interval_ms(config, 1000) == LHTTP_RESULT_OK &&
            lhttp_config_set_ping_interval_ms(config, 0) == LHTTP_RESULT_OK &&
            lhttp_config_set_connect_timeout_ms(config, 2000) == LHTTP_RESULT_OK &&
            lhttp_config_set_request_timeout_ms(config, 2000) == LHTTP_RESULT_OK &&
            lhttp_config_set_max_attempts(config, 3) == LHTTP_RESULT_OK &&
            lhttp_config_set_max_attempts(config, 0) == LHTTP_RESULT_OK &&
            lhttp_config_set_max_buffered(config, 5) == LHTTP_RESULT_OK &&
            lhttp_config_set_ca_pem(config, pem, sizeof pem - 1) == LHTTP_RESULT_OK,
        "the setters return OK for good values (ping 0 and max_attempts 0 included)");
  check(lhttp_config_set_max_buffered(config, 0) == LHTTP_RESULT_OK, "max_buffered 0 is OK (taken as 1: at least 1)");
  check(lhttp_config_set_ca_pem(config, NULL, 5) == LHTTP_RESULT_NULL_PARAMETER,
        "lhttp_config_set_ca_pem with a NULL pem and a length is NULL_PARAMETER");
  lhttp_config_free(config);
  lhttp_result rs[] = {
      lhttp_config_set_reconnect(NULL, true),           lhttp_config_set_ping_interval_ms(NULL, 1000),
      lhttp_config_set_connect_timeout_ms(NULL, 1000),  lhttp_config_set_request_timeout_ms(NULL, 1000),
      lhttp_config_set_max_attempts(NULL, 1),           lhttp_config_set_max_buffered(NULL, 1),
      lhttp_config_set_ca_pem(NULL, pem, sizeof pem - 1),
  };
  int all = 1;
  for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) {
    if (rs[i] != LHTTP_RESULT_NULL_PARAMETER) {
      printf("  setter %zu on NULL: %s\n", i, lhttp_result_str(rs[i]));
      all = 0;
    }
  }
  check(all, "each setter on a NULL config is NULL_PARAMETER");
}

/* 2. */
static void connect_timeout(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 8) ||
      getsockname(fd, (struct sockaddr *)&a, &len)) {
    check(0, "a TCP listener");
    if (fd >= 0) close(fd);
    return;
  }
  char url[64];
  snprintf(url, sizeof url, "ws://127.0.0.1:%d/", ntohs(a.sin_port));
  lhttp_config *config = config_for(url);
  lhttp_client *c = NULL;
  lhttp_result r = lhttp_config_set_connect_timeout_ms(config, 300);
  watch("connect_timeout_ms 300 against a listener that never answers", 8);
  if (r == LHTTP_RESULT_OK) r = lhttp_client_connect_config(config, &c);
  alarm(0);
  if (r != LHTTP_RESULT_TIMEOUT) why("connect", r);
  check(r == LHTTP_RESULT_TIMEOUT && !c,
        "connect_timeout_ms 300: a TCP listener that accepts nothing (no WebSocket answer) is TIMEOUT");
  lhttp_client_free(c);
  lhttp_config_free(config);
  close(fd);
}

/* 3. */
static void *drain_later(void *arg) {
  lhttp_client *c = arg;
  pause_ms(2000);
  lhttp_message *msg = NULL;
  lhttp_result r = lhttp_client_recv(c, 10000, &msg);
  int ok = r == LHTTP_RESULT_OK && body_is(msg, "one");
  lhttp_message_free(msg);
  return ok ? c : NULL;
}

/* A client with these limits subscribed to `channel`, another publishing "one" on it, then the
 * first publishing elsewhere while "one" waits unread (drained by a thread after 2 s). */
static lhttp_result publish_behind_unread(const char *url, const char *channel, size_t max_buffered, int *drained,
                                          int *after) {
  lhttp_config *config = config_for(url);
  lhttp_result r = LHTTP_RESULT_INTERNAL;
  *drained = *after = 0;
  if (config && lhttp_config_set_max_buffered(config, max_buffered) == LHTTP_RESULT_OK &&
      lhttp_config_set_request_timeout_ms(config, 300) == LHTTP_RESULT_OK) {
    lhttp_client *c = connect_with(config), *p = connect_plain(url);
    uint64_t n = 0;
    if (c && p && lhttp_client_subscribe(c, channel, strlen(channel)) == LHTTP_RESULT_OK &&
        publish(p, channel, "one", &n) == LHTTP_RESULT_OK && n == 1) {
      pthread_t t;
      pthread_create(&t, NULL, drain_later, c);
      r = publish(c, "nobody-listens", "x", NULL);
      void *res = NULL;
      pthread_join(t, &res);
      *drained = res != NULL;
      /* Reading again: the late ack is no answer to anything; the next call works. */
      *after = publish(c, "nobody-listens", "y", NULL) == LHTTP_RESULT_OK && publish(p, channel, "two", &n) == LHTTP_RESULT_OK &&
               receives(c, "two");
    }
    lhttp_client_free(c);
    lhttp_client_free(p);
  }
  lhttp_config_free(config);
  return r;
}

static void buffered_and_request_timeout(const char *url) {
  int drained, after;
  lhttp_result r = publish_behind_unread(url, "mb1", 1, &drained, &after);
  if (r != LHTTP_RESULT_TIMEOUT) why("publish behind an unread message (max_buffered 1)", r);
  check(r == LHTTP_RESULT_TIMEOUT && drained && after,
        "max_buffered 1, request_timeout_ms 300: a publish's ack behind one unread publication is TIMEOUT (before the "
        "drain at 2 s); after the drain the client publishes and receives again");
  r = publish_behind_unread(url, "mb2", 2, &drained, &after);
  if (r != LHTTP_RESULT_OK) why("publish behind an unread message (max_buffered 2)", r);
  check(r == LHTTP_RESULT_OK && drained && after, "max_buffered 2: the same publish is OK (room for its ack)");
}

/* 4. */
static void pings(const char *idle_url) {
  lhttp_config *config = config_for(idle_url);
  lhttp_client *pinging = NULL, *silent = NULL, *p = NULL;
  if (config && lhttp_config_set_ping_interval_ms(config, 300) == LHTTP_RESULT_OK) pinging = connect_with(config);
  silent = connect_plain(idle_url);
  int subscribed = pinging && silent && lhttp_client_subscribe(pinging, "idle", 4) == LHTTP_RESULT_OK &&
                   lhttp_client_subscribe(silent, "idle", 4) == LHTTP_RESULT_OK;
  check(subscribed, "two clients subscribed on the lhttpd with --idle-timeout 1, one with ping_interval_ms 300");
  if (subscribed) {
    pause_ms(3500);
    uint64_t n = 99;
    p = connect_plain(idle_url);
    lhttp_result r = p ? publish(p, "idle", "still here", &n) : LHTTP_RESULT_CONNECT;
    if (r != LHTTP_RESULT_OK) why("publish", r);
    check(r == LHTTP_RESULT_OK && n == 1 && receives(pinging, "still here"),
          "after 3.5 s idle, the client with pings receives a publication (deliveries 1)");
    lhttp_message *msg = NULL;
    r = lhttp_client_recv(silent, 5000, &msg);
    if (r != LHTTP_RESULT_CLOSED) why("recv without pings", r);
    check(r == LHTTP_RESULT_CLOSED, "the client without pings was closed by lhttpd's idle timeout: CLOSED");
    lhttp_message_free(msg);
  }
  lhttp_client_free(pinging);
  lhttp_client_free(silent);
  lhttp_client_free(p);
  lhttp_config_free(config);
}

/* 5. */
static void raw_send(const char *url) {
  lhttp_client *c = connect_plain(url);
  if (!c || lhttp_client_subscribe(c, "raw", 3) != LHTTP_RESULT_OK) {
    check(0, "connect and subscribe to raw");
    lhttp_client_free(c);
    return;
  }
  lhttp_header headers[] = {{{"publish", 7}, {"raw", 3}}, {{"id", 2}, {"7", 1}}};
  uint8_t buf[256];
  size_t n = 0;
  lhttp_result r = lhttp_encode("chat", 4, headers, 2, (const uint8_t *)"sent raw", 8, buf, sizeof buf, &n);
  if (r == LHTTP_RESULT_OK) r = lhttp_client_send(c, buf, n);
  if (r != LHTTP_RESULT_OK) why("send", r);
  check(r == LHTTP_RESULT_OK, "lhttp_client_send of an encoded publish with an id is OK");
  /* The publication arrives; the ack for id 7 may come through recv too, before or after it. */
  int got = 0, acked = 0;
  for (int i = 0; i < 2 && !got; i++) {
    lhttp_message *msg = NULL;
    r = lhttp_client_recv(c, 5000, &msg);
    if (r != LHTTP_RESULT_OK) why("recv", r);
    got = command_is(msg, "chat") && body_is(msg, "sent raw");
    acked |= command_is(msg, "ack");
    lhttp_message_free(msg);
  }
  check(got, "the raw publish arrives through lhttp_client_recv (command chat, body as sent)");
  printf("  (the ack of id 7 %s through lhttp_client_recv first)\n", acked ? "came" : "did not come");
  const char *junk = "not an LHTTP message";
  r = lhttp_client_send(c, (const uint8_t *)junk, strlen(junk));
  check(r == LHTTP_RESULT_VERSION, "lhttp_client_send of bytes that do not parse is the codec's VERSION");
  uint64_t d = 0;
  r = publish(c, "raw", "after junk", &d);
  check(r == LHTTP_RESULT_OK && d == 1 && receives(c, "after junk"),
        "after the refused send the connection is fine: the next publication is the next message");
  lhttp_client_free(c);
}

/* 6. */
static void http_publish(const char *url, const char *base, const char *token) {
  lhttp_client *s = connect_plain(url);
  if (!s || lhttp_client_subscribe(s, "http", 4) != LHTTP_RESULT_OK) {
    check(0, "connect and subscribe to http");
    lhttp_client_free(s);
    return;
  }
  const uint8_t *body = (const uint8_t *)"over http";
  uint64_t n = 99;
  lhttp_result r = lhttp_http_publish(base, strlen(base), "http", 4, "chat", 4, NULL, 0, body, 9, NULL, 0, &n);
  if (r != LHTTP_RESULT_UNAUTHORIZED) why("http publish without a token", r);
  check(r == LHTTP_RESULT_UNAUTHORIZED && n == 99, "lhttp_http_publish without the token: UNAUTHORIZED, deliveries not written");
  r = lhttp_http_publish(base, strlen(base), "http", 4, "chat", 4, NULL, 0, body, 9, "wrong", 5, &n);
  if (r != LHTTP_RESULT_UNAUTHORIZED) why("http publish with a wrong token", r);
  check(r == LHTTP_RESULT_UNAUTHORIZED && n == 99, "lhttp_http_publish with a wrong token: UNAUTHORIZED, deliveries not written");
  lhttp_header from = {{"from", 4}, {"c", 1}};
  r = lhttp_http_publish(base, strlen(base), "http", 4, "chat", 4, &from, 1, body, 9, token, strlen(token), &n);
  if (r != LHTTP_RESULT_OK) why("http publish with the token", r);
  check(r == LHTTP_RESULT_OK && n == 1, "lhttp_http_publish with the publish token: OK, deliveries 1");
  lhttp_message *msg = NULL;
  r = lhttp_client_recv(s, 5000, &msg); /* the refused ones were never delivered: this is the first */
  lhttp_str v;
  check(r == LHTTP_RESULT_OK && command_is(msg, "chat") && body_is(msg, "over http") &&
            lhttp_message_header_by_name(msg, "from", 4, &v) == LHTTP_RESULT_OK && v.len == 1 && v.data[0] == 'c',
        "the subscriber receives it (command, header and body as published), and only it");
  lhttp_message_free(msg);
  lhttp_client_free(s);
}

/* 7. */
static void attempts(const char *gone_url) {
  lhttp_config *config = config_for(gone_url);
  lhttp_client *c = NULL;
  if (config && lhttp_config_set_reconnect(config, true) == LHTTP_RESULT_OK &&
      lhttp_config_set_initial_backoff_ms(config, 50) == LHTTP_RESULT_OK &&
      lhttp_config_set_max_backoff_ms(config, 100) == LHTTP_RESULT_OK &&
      lhttp_config_set_max_attempts(config, 2) == LHTTP_RESULT_OK)
    c = connect_with(config);
  if (!c || lhttp_client_subscribe(c, "gone", 4) != LHTTP_RESULT_OK) {
    check(0, "connect with reconnect and max_attempts 2, subscribe");
  } else {
    printf("stop the server\n");
    fflush(stdout);
    char line[64];
    if (!fgets(line, sizeof line, stdin)) check(0, "a line on stdin after the server stopped");
    lhttp_message *msg = NULL;
    watch("max_attempts 2: recv after the server is gone", 20);
    lhttp_result r = lhttp_client_recv(c, LHTTP_WAIT_FOREVER, &msg);
    alarm(0);
    char text[512];
    lhttp_last_error(text, sizeof text);
    if (r != LHTTP_RESULT_CONNECT) why("recv", r);
    check(r == LHTTP_RESULT_CONNECT && strstr(text, "connect"),
          "max_attempts 2, the server gone: lhttp_client_recv ends after the attempts with CONNECT (could not connect)");
    lhttp_message_free(msg);
    r = lhttp_client_subscribe(c, "more", 4);
    if (r != LHTTP_RESULT_CLOSED) why("subscribe", r);
    check(r == LHTTP_RESULT_CLOSED, "then a subscribe is CLOSED");
  }
  lhttp_client_free(c);
  lhttp_config_free(config);
}

/* 8. */
static void closing(const char *url) {
  lhttp_client *c = connect_plain(url);
  if (!c || lhttp_client_subscribe(c, "closing", 7) != LHTTP_RESULT_OK) {
    check(0, "connect and subscribe to closing");
    lhttp_client_free(c);
    return;
  }
  lhttp_result r = lhttp_client_close(c);
  check(r == LHTTP_RESULT_OK, "lhttp_client_close is OK");
  uint8_t buf[128];
  size_t n = 0;
  lhttp_header h = {{"publish", 7}, {"closing", 7}};
  lhttp_result rs = lhttp_encode("chat", 4, &h, 1, NULL, 0, buf, sizeof buf, &n);
  if (rs == LHTTP_RESULT_OK) rs = lhttp_client_send(c, buf, n);
  lhttp_result rp = publish(c, "closing", "late", NULL);
  lhttp_result rb = lhttp_client_subscribe(c, "other", 5);
  if (rs != LHTTP_RESULT_CLOSED || rp != LHTTP_RESULT_CLOSED || rb != LHTTP_RESULT_CLOSED)
    printf("  send %s, publish %s, subscribe %s\n", lhttp_result_str(rs), lhttp_result_str(rp), lhttp_result_str(rb));
  check(rs == LHTTP_RESULT_CLOSED && rp == LHTTP_RESULT_CLOSED && rb == LHTTP_RESULT_CLOSED,
        "after lhttp_client_close: send, publish and subscribe are CLOSED");
  lhttp_message *msg = NULL;
  r = lhttp_client_recv(c, 2000, &msg);
  printf("  (lhttp_client_recv after close: %s)\n", lhttp_result_str(r));
  lhttp_message_free(msg);
  lhttp_client_free(c);
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s PLAIN_URL HTTP_BASE PUBLISH_TOKEN IDLE_URL GONE_URL\n", argv[0]);
    return 2;
  }
  signal(SIGALRM, watchdog);
  setters(argv[1]);
  connect_timeout();
  buffered_and_request_timeout(argv[1]);
  pings(argv[4]);
  raw_send(argv[1]);
  http_publish(argv[1], argv[2], argv[3]);
  attempts(argv[5]);
  closing(argv[1]);
  return failed ? 1 : 0;
}
