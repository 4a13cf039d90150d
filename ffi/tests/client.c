/* The C client against a live lhttpd whose namespaces `h` and `t` keep history (scripts/test-c.sh:
 * `[namespaces.h]` with history_size 100, history_ttl 300, `[namespaces.t]` with 2 and 60; other
 * channels have none):
 * client URL NO_HISTORY_URL, the second a server without any history.
 * 1. channel lists that name no usable channel are refused with CHANNEL, nothing subscribed;
 * 2. a handshake from a foreign Origin is refused at once: CONNECT, "403" and "OriginNotAllowed";
 * 3. history: lhttp_client_position and lhttp_client_history (limit, reverse, since), POSITION for
 *    a malformed since, NO_HISTORY from the server without history;
 * 4. recovery notices: the client prints "drop client <id>" and waits for a line on stdin (the
 *    script has lhttpd close the connection through its HTTP API's close_client meanwhile); what
 *    is published while it is away arrives, and lhttp_client_recovery names h:rec RECOVERED and
 *    t:trim (whose history kept 2 of 4) UNRECOVERED, which lhttp_client_recv reports too;
 * 5. 150 channels subscribed in calls of 10 are restored after the server restarts on the same
 *    port (the client prints "restart the server" and waits for a line on stdin), and a publish
 *    on each reaches the client once; the one channel with history, h:feed, is reported
 *    Unrecovered (the restart lost its history: a new epoch).
 * Prints "ok: ..." or "FAILED: ..." per check; exits 0 only when every check passed. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void pause_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&t, NULL);
}

static lhttp_client *connect_plain(const char *url) {
  lhttp_client *c = NULL;
  lhttp_result r = lhttp_client_connect(url, strlen(url), 5000, &c);
  if (r != LHTTP_RESULT_OK) why("connect", r);
  return c;
}

static uint64_t publish(lhttp_client *c, const char *channels, const char *body, lhttp_result *r) {
  uint64_t n = 0;
  *r = lhttp_client_publish(c, channels, strlen(channels), "chat", 4, NULL, 0, (const uint8_t *)body, strlen(body), &n);
  return n;
}

static void refused_channels(const char *url) {
  lhttp_client *c = connect_plain(url), *p = connect_plain(url);
  if (!c || !p) {
    check(0, "connect two clients");
    lhttp_client_free(c);
    lhttp_client_free(p);
    return;
  }
  const char *bad[] = {"   ", "", "fine bad\001name"};
  int all = 1;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    lhttp_result r = lhttp_client_subscribe(c, bad[i], strlen(bad[i]));
    if (r != LHTTP_RESULT_CHANNEL) {
      why("subscribe", r);
      all = 0;
    }
  }
  check(all, "subscribing to an empty, whitespace-only or control-character channel list is CHANNEL");
  lhttp_result r;
  uint64_t n = publish(p, "fine", "x", &r);
  check(r == LHTTP_RESULT_OK && n == 0, "a refused subscribe subscribed nothing");
  publish(p, "  ", "x", &r);
  check(r == LHTTP_RESULT_CHANNEL, "publishing to no usable channel is CHANNEL");
  lhttp_client_free(c);
  lhttp_client_free(p);
}

static void refused_origin(const char *url) {
  lhttp_config *config = NULL;
  if (lhttp_config_new(url, strlen(url), &config) != LHTTP_RESULT_OK) {
    check(0, "config");
    return;
  }
  const char *origin = "https://elsewhere.example";
  lhttp_config_set_origin(config, origin, strlen(origin));
  lhttp_config_set_reconnect(config, true);
  lhttp_client *c = NULL;
  double started = now_s();
  lhttp_result r = lhttp_client_connect_config(config, &c);
  double took = now_s() - started;
  char text[512];
  lhttp_last_error(text, sizeof text);
  check(r == LHTTP_RESULT_CONNECT && strstr(text, "403") && strstr(text, "OriginNotAllowed") && took < 5.0,
        "a foreign Origin is refused at once: CONNECT, HTTP 403, OriginNotAllowed");
  if (r != LHTTP_RESULT_CONNECT) why("connect", r);
  lhttp_client_free(c);
  lhttp_config_free(config);
}

/* Whether part `i` of `msg` has header `name` equal to `want`. */
static int part_header_is(const lhttp_message *msg, size_t i, const char *name, const char *want) {
  lhttp_str v;
  return lhttp_message_part_header_by_name(msg, i, name, strlen(name), &v) == LHTTP_RESULT_OK &&
         v.len == strlen(want) && !memcmp(v.data, want, v.len);
}

static int header_is(const lhttp_message *msg, const char *name, const char *want) {
  lhttp_str v;
  return lhttp_message_header_by_name(msg, name, strlen(name), &v) == LHTTP_RESULT_OK && v.len == strlen(want) &&
         !memcmp(v.data, want, v.len);
}

/* Whether `msg`'s parts have exactly these bodies, in order. */
static int bodies_are(const lhttp_message *msg, const char *const *want, size_t n) {
  size_t count = 99;
  if (lhttp_message_part_count(msg, &count) != LHTTP_RESULT_OK || count != n) return 0;
  for (size_t i = 0; i < n; i++) {
    lhttp_bytes b;
    if (lhttp_message_part_body(msg, i, &b) != LHTTP_RESULT_OK || b.len != strlen(want[i]) ||
        memcmp(b.data, want[i], b.len))
      return 0;
  }
  return 1;
}

/* `channel`'s position as the client saw it, NUL-terminated in `out` (empty when none). */
static lhttp_result position_of(lhttp_client *c, const char *channel, char *out, size_t len) {
  size_t n = 0;
  lhttp_result r = lhttp_client_position(c, channel, strlen(channel), out, len - 1, &n);
  out[r == LHTTP_RESULT_OK ? n : 0] = 0;
  return r;
}

static void history(const char *url, const char *no_history_url) {
  lhttp_client *c = connect_plain(url);
  if (!c) {
    check(0, "connect");
    return;
  }
  char pos[80], epoch[40], want[80];
  lhttp_result r = position_of(c, "h:hist", pos, sizeof pos);
  check(r == LHTTP_RESULT_NOT_FOUND, "lhttp_client_position of a channel not subscribed is NOT_FOUND");
  r = lhttp_client_subscribe(c, "h:hist", 6);
  r = r ? r : position_of(c, "h:hist", pos, sizeof pos);
  char *colon = strchr(pos, ':');
  check(r == LHTTP_RESULT_OK && colon && !strcmp(colon, ":0"), "after the subscribe, the position is <epoch>:0");
  if (!colon) {
    why("position", r);
    lhttp_client_free(c);
    return;
  }
  snprintf(epoch, sizeof epoch, "%.*s", (int)(colon - pos), pos);
  size_t need = 0;
  r = lhttp_client_position(c, "h:hist", 6, pos, 2, &need);
  check(r == LHTTP_RESULT_BUFFER_TOO_SMALL && need == strlen(epoch) + 2,
        "a buffer too small for the position is BUFFER_TOO_SMALL with the length needed");

  const char *sent[] = {"one", "two", "three"};
  int published = 1;
  for (int i = 0; i < 3; i++) {
    lhttp_message *msg = NULL;
    publish(c, "h:hist", sent[i], &r);
    if (r == LHTTP_RESULT_OK) r = lhttp_client_recv(c, 5000, &msg); /* its own publication */
    published &= r == LHTTP_RESULT_OK && header_is(msg, "offset", (const char[]){(char)('1' + i), 0});
    lhttp_message_free(msg);
  }
  snprintf(want, sizeof want, "%s:3", epoch);
  check(published && position_of(c, "h:hist", pos, sizeof pos) == LHTTP_RESULT_OK && !strcmp(pos, want),
        "three publications received, offsets 1 to 3: the position is <epoch>:3");

  lhttp_message *h = NULL;
  lhttp_str command;
  r = lhttp_client_history(c, "h:hist", 6, 0, NULL, 0, false, &h);
  int all = r == LHTTP_RESULT_OK && lhttp_message_command(h, &command) == LHTTP_RESULT_OK && command.len == 7 &&
            !memcmp(command.data, "history", 7) && header_is(h, "channel", "h:hist") && header_is(h, "position", want) &&
            bodies_are(h, sent, 3) && part_header_is(h, 0, "command", "chat") && part_header_is(h, 0, "channel", "h:hist") &&
            part_header_is(h, 0, "offset", "1") && part_header_is(h, 0, "epoch", epoch) && part_header_is(h, 2, "offset", "3");
  if (r) why("history", r);
  check(all, "lhttp_client_history: command history, channel and position headers, one part per publication with command, channel, offset, epoch");
  lhttp_message_free(h);

  h = NULL;
  r = lhttp_client_history(c, "h:hist", 6, 2, NULL, 0, true, &h);
  const char *newest[] = {"three", "two"};
  check(r == LHTTP_RESULT_OK && bodies_are(h, newest, 2) && part_header_is(h, 0, "offset", "3"),
        "limit 2, reverse: the newest two, newest first");
  lhttp_message_free(h);

  h = NULL;
  snprintf(want, sizeof want, "%s:1", epoch);
  r = lhttp_client_history(c, "h:hist", 6, 0, want, strlen(want), false, &h);
  check(r == LHTTP_RESULT_OK && bodies_are(h, sent + 1, 2), "since <epoch>:1: the two after it");
  lhttp_message_free(h);

  h = NULL;
  r = lhttp_client_history(c, "h:nothing-yet", 13, 0, NULL, 0, false, &h);
  size_t parts = 99;
  check(r == LHTTP_RESULT_OK && lhttp_message_part_count(h, &parts) == LHTTP_RESULT_OK && parts == 0 &&
            lhttp_message_header_count(h) == 2,
        "an empty history: no parts, the channel and position headers");
  lhttp_message_free(h);

  h = NULL;
  r = lhttp_client_history(c, "h:hist", 6, 0, "no-offset", 9, false, &h);
  check(r == LHTTP_RESULT_POSITION && h == NULL, "a malformed since is POSITION, nothing written");
  lhttp_client_free(c);

  lhttp_client *plain = connect_plain(no_history_url);
  h = NULL;
  r = plain ? lhttp_client_history(plain, "h:hist", 6, 0, NULL, 0, false, &h) : LHTTP_RESULT_CONNECT;
  char text[512];
  lhttp_last_error(text, sizeof text);
  check(r == LHTTP_RESULT_NO_HISTORY && h == NULL && strstr(text, "NoHistory"),
        "a server without history answers NO_HISTORY");
  lhttp_client_subscribe(plain, "h:hist", 6);
  check(position_of(plain, "h:hist", pos, sizeof pos) == LHTTP_RESULT_NOT_FOUND,
        "a subscribed channel without history has no position: NOT_FOUND");
  lhttp_client_free(plain);
}

/* Waits for one line on stdin: the script's go-ahead. */
static int go_ahead(void) {
  char line[64];
  return fgets(line, sizeof line, stdin) != NULL;
}

static void recovery_notices(const char *url) {
  lhttp_config *config = NULL;
  lhttp_config_new(url, strlen(url), &config);
  lhttp_config_set_reconnect(config, true);
  /* The first retry waits 0.5 to 1 s: what is published meanwhile is missed. */
  lhttp_config_set_initial_backoff_ms(config, 1000);
  lhttp_config_set_max_backoff_ms(config, 1000);
  lhttp_client *c = NULL, *p = connect_plain(url);
  lhttp_result r = lhttp_client_connect_config(config, &c);
  lhttp_config_free(config);
  if (r != LHTTP_RESULT_OK || !p) {
    check(0, "connect for the recovery notices");
    lhttp_client_free(c);
    lhttp_client_free(p);
    return;
  }
  char name[64];
  size_t n = 0;
  lhttp_recovery kind = LHTTP_RECOVERY_RECOVERED;
  r = lhttp_client_subscribe(c, "h:rec t:trim", 12);
  check(r == LHTTP_RESULT_OK && lhttp_client_recovery(c, 0, name, sizeof name, &n, &kind) == LHTTP_RESULT_TIMEOUT,
        "a first subscribe gives no recovery notice (TIMEOUT at once)");
  publish(p, "h:rec t:trim", "before", &r);
  int got = 0;
  for (int i = 0; r == LHTTP_RESULT_OK && i < 2; i++) {
    lhttp_message *msg = NULL;
    if ((r = lhttp_client_recv(c, 5000, &msg)) == LHTTP_RESULT_OK) got++;
    lhttp_message_free(msg);
  }
  check(got == 2, "before going away, each channel's publication arrived");

  char id[128];
  size_t id_n = 0;
  lhttp_client_id(c, id, sizeof id, &id_n);
  printf("drop client %.*s\n", (int)id_n, id);
  fflush(stdout);
  if (!go_ahead()) {
    check(0, "the connection was dropped");
    lhttp_client_free(c);
    lhttp_client_free(p);
    return;
  }
  for (int i = 1; i <= 4; i++) {
    char body[16];
    snprintf(body, sizeof body, "missed %d", i);
    publish(p, i <= 2 ? "h:rec t:trim" : "t:trim", body, &r);
  }
  /* h:rec's two missed publications, then its notice; t:trim is Unrecovered (SERVER from recv). */
  int missed = 0, unrecovered = 0;
  for (int i = 0; i < 3; i++) {
    lhttp_message *msg = NULL;
    r = lhttp_client_recv(c, 5000, &msg);
    char text[512];
    lhttp_last_error(text, sizeof text);
    if (r == LHTTP_RESULT_OK && header_is(msg, "channel", "h:rec")) missed++;
    if (r == LHTTP_RESULT_SERVER && !strncmp(text, "server error Unrecovered: t:trim:", 33)) unrecovered++;
    lhttp_message_free(msg);
  }
  check(missed == 2 && unrecovered == 1, "h:rec's missed publications arrived; recv reports t:trim Unrecovered");
  int recovered_rec = 0, unrecovered_trim = 0;
  char tiny[2];
  r = lhttp_client_recovery(c, 5000, tiny, sizeof tiny, &n, &kind);
  check(r == LHTTP_RESULT_BUFFER_TOO_SMALL && n >= 5, "a channel that does not fit is BUFFER_TOO_SMALL with its length");
  for (int i = 0; i < 2; i++) {
    if ((r = lhttp_client_recovery(c, 5000, name, sizeof name, &n, &kind)) != LHTTP_RESULT_OK) {
      why("recovery", r);
      break;
    }
    if (n == 5 && !memcmp(name, "h:rec", 5) && kind == LHTTP_RECOVERY_RECOVERED) recovered_rec++;
    if (n == 6 && !memcmp(name, "t:trim", 6) && kind == LHTTP_RECOVERY_UNRECOVERED) unrecovered_trim++;
  }
  check(recovered_rec == 1 && unrecovered_trim == 1,
        "lhttp_client_recovery: h:rec RECOVERED, t:trim UNRECOVERED (the notice kept over BUFFER_TOO_SMALL)");
  check(lhttp_client_recovery(c, 0, name, sizeof name, &n, &kind) == LHTTP_RESULT_TIMEOUT, "and nothing more");
  lhttp_client_free(p);
  lhttp_client_free(c);
}

#define CHANNELS 150

static void restore_after_restart(const char *url) {
  lhttp_config *config = NULL;
  lhttp_config_new(url, strlen(url), &config);
  lhttp_config_set_reconnect(config, true);
  lhttp_config_set_initial_backoff_ms(config, 50);
  lhttp_config_set_max_backoff_ms(config, 200);
  lhttp_client *c = NULL;
  lhttp_result r = lhttp_client_connect_config(config, &c);
  lhttp_config_free(config);
  if (r != LHTTP_RESULT_OK) {
    why("connect", r);
    check(0, "connect with reconnect");
    return;
  }
  int subscribed = 1;
  for (int first = 0; first < CHANNELS; first += 10) {
    char list[256] = "";
    for (int i = first; i < first + 10; i++) {
      char name[16];
      snprintf(name, sizeof name, "%smany-%03d", i > first ? " " : "", i);
      strcat(list, name);
    }
    if ((r = lhttp_client_subscribe(c, list, strlen(list))) != LHTTP_RESULT_OK) {
      why("subscribe", r);
      subscribed = 0;
    }
  }
  check(subscribed, "150 channels subscribed in calls of 10");
  char before[80], after[80];
  lhttp_message *fed = NULL;
  if ((r = lhttp_client_subscribe(c, "h:feed", 6)) == LHTTP_RESULT_OK) publish(c, "h:feed", "before", &r);
  if (r == LHTTP_RESULT_OK) r = lhttp_client_recv(c, 5000, &fed);
  lhttp_message_free(fed);
  position_of(c, "h:feed", before, sizeof before);
  check(r == LHTTP_RESULT_OK && strstr(before, ":1"), "h:feed, with history, is at offset 1 before the restart");

  printf("restart the server\n");
  fflush(stdout);
  char line[64];
  if (!fgets(line, sizeof line, stdin)) {
    check(0, "the server was restarted");
    lhttp_client_free(c);
    return;
  }
  lhttp_client *p = connect_plain(url);
  int reached = p != NULL;
  for (int i = 0; reached && i < CHANNELS; i++) {
    char name[16];
    snprintf(name, sizeof name, "many-%03d", i);
    int attempt = 0;
    while (publish(p, name, name, &r) != 1 || r != LHTTP_RESULT_OK) {
      if (++attempt == 400) {
        printf("  %s was not subscribed again\n", name);
        reached = 0;
        break;
      }
      pause_ms(25);
    }
  }
  check(reached, "after the restart a publish on each of the 150 channels reaches the client");
  int seen[CHANNELS] = {0}, distinct = 0, unrecovered_feed = 0, lost = 0;
  for (int i = 0; reached && i < CHANNELS;) {
    lhttp_message *msg = NULL;
    if ((r = lhttp_client_recv(c, 5000, &msg)) != LHTTP_RESULT_OK) {
      /* The restart lost the history: each channel is reported as SERVER, naming Unrecovered
       * and the channel; receive again for the next message. */
      char text[512];
      int k = -1;
      lhttp_last_error(text, sizeof text);
      if (r == LHTTP_RESULT_SERVER && !strncmp(text, "server error Unrecovered: ", 26)) {
        lost++;
        k = !strncmp(text + 26, "h:feed:", 7);
        unrecovered_feed += k;
        continue;
      }
      why("recv", r);
      break;
    }
    i++;
    lhttp_bytes body;
    int n = -1;
    if (lhttp_message_body(msg, &body) == LHTTP_RESULT_OK && body.len == 8 && !memcmp(body.data, "many-", 5)) {
      char digits[4] = {0};
      memcpy(digits, body.data + 5, 3);
      n = atoi(digits);
    }
    if (n >= 0 && n < CHANNELS && !seen[n]) seen[n] = 1, distinct++;
    lhttp_message_free(msg);
  }
  lhttp_message *extra = NULL;
  r = lhttp_client_try_recv(c, &extra);
  lhttp_message_free(extra);
  check(distinct == CHANNELS && r == LHTTP_RESULT_WOULD_BLOCK, "the client received each of the 150 messages once");
  check(lost == 1 && unrecovered_feed == 1,
        "h:feed, and only it, was reported Unrecovered after the restart (SERVER, lhttp_last_error naming it)");
  fed = NULL;
  publish(p, "h:feed", "after", &r);
  if (r == LHTTP_RESULT_OK) r = lhttp_client_recv(c, 5000, &fed);
  check(r == LHTTP_RESULT_OK && header_is(fed, "offset", "1"), "h:feed's first publication after the restart is offset 1");
  lhttp_message_free(fed);
  position_of(c, "h:feed", after, sizeof after);
  char *b = strchr(before, ':'), *a = strchr(after, ':');
  check(b && a && !strcmp(a, ":1") && (a - after != b - before || memcmp(before, after, (size_t)(a - after))),
        "its position after the restart is in a new epoch");
  lhttp_client_free(p);
  lhttp_client_free(c);
}

int main(int argc, char **argv) {
  if (argc != 3) return fprintf(stderr, "usage: client URL NO_HISTORY_URL\n"), 2;
  refused_channels(argv[1]);
  refused_origin(argv[1]);
  history(argv[1], argv[2]);
  recovery_notices(argv[1]);
  restore_after_restart(argv[1]);
  printf("client: %d failed\n", failed);
  return failed ? 1 : 0;
}
