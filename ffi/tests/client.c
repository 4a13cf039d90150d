/* The C client against a live lhttpd (scripts/test-c.sh): client URL.
 * 1. channel lists that name no usable channel are refused with CHANNEL, nothing subscribed;
 * 2. a handshake from a foreign Origin is refused at once: CONNECT, "403" and "OriginNotAllowed";
 * 3. 150 channels subscribed in calls of 10 are restored after the server restarts on the same
 *    port (the client prints "restart the server" and waits for a line on stdin), and a publish
 *    on each reaches the client once.
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
  int seen[CHANNELS] = {0}, distinct = 0;
  for (int i = 0; reached && i < CHANNELS; i++) {
    lhttp_message *msg = NULL;
    if ((r = lhttp_client_recv(c, 5000, &msg)) != LHTTP_RESULT_OK) {
      why("recv", r);
      break;
    }
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
  lhttp_client_free(p);
  lhttp_client_free(c);
}

int main(int argc, char **argv) {
  if (argc != 2) return fprintf(stderr, "usage: client URL\n"), 2;
  refused_channels(argv[1]);
  refused_origin(argv[1]);
  restore_after_restart(argv[1]);
  printf("client: %d failed\n", failed);
  return failed ? 1 : 0;
}
