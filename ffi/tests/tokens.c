/* Tokens (spec 14) through the C API against a live lhttpd started with --token-hmac-secret,
 * --token-grace 0 and a namespace `priv` whose subscribe rule is `token` (scripts/test-c.sh):
 * tokens URL SIGNER, where `SIGNER SUB EXP_IN [CHANNEL]` prints an HS256 token (the test's
 * stand-in for the application's backend, run through popen by the callbacks).
 * 1. lhttp_config_set_token: the connection's uid is the token's (the personal channel
 *    dm:#ann subscribes); a token signed with another secret is UNAUTHORIZED, and
 *    lhttp_last_error does not show it;
 * 2. lhttp_config_set_token_callback with 3-second tokens: asked on connect and again before
 *    each expiry, the connection is refreshed (same client id, still publishing) while a fixed
 *    token of the same lifetime is closed by the server;
 * 3. lhttp_config_set_subscription_token_callback: priv:x subscribes with its token, `room`
 *    with none (out_len 0); without a token priv:x is FORBIDDEN; a callback failing is IO.
 * Prints "ok: ..." or "FAILED: ..." per check; exits 0 only when every check passed. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lhttp.h"

static int failed = 0;
static const char *signer;

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

/* A token from the signer into buf (NUL-terminated); its length, 0 on failure. */
static size_t sign(const char *sub, int exp_in, const char *channel, char *buf, size_t len) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "%s %s %d %s", signer, sub, exp_in, channel ? channel : "");
  FILE *p = popen(cmd, "r");
  if (!p) return 0;
  size_t n = fread(buf, 1, len - 1, p);
  pclose(p);
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) n--;
  buf[n] = 0;
  return n;
}

/* The callbacks' state: how often each was asked, what to sign. */
typedef struct {
  int calls;
  int exp_in;
  int fail;
} token_state;

static lhttp_result get_token(void *user_data, char *buf, size_t buf_len, size_t *out_len) {
  token_state *s = user_data;
  s->calls++;
  if (s->fail) return LHTTP_RESULT_IO;
  char token[2048];
  size_t n = sign("ann", s->exp_in, NULL, token, sizeof token);
  *out_len = n;
  if (n == 0) return LHTTP_RESULT_IO;
  if (n > buf_len) return LHTTP_RESULT_BUFFER_TOO_SMALL;
  memcpy(buf, token, n);
  return LHTTP_RESULT_OK;
}

static lhttp_result get_subscription_token(void *user_data, const char *channel, size_t channel_len, char *buf,
                                           size_t buf_len, size_t *out_len) {
  token_state *s = user_data;
  s->calls++;
  *out_len = 0;
  if (channel_len < 5 || memcmp(channel, "priv:", 5) != 0) return LHTTP_RESULT_OK; /* needs none */
  char name[256], token[2048];
  snprintf(name, sizeof name, "%.*s", (int)channel_len, channel);
  size_t n = sign("ann", 600, name, token, sizeof token);
  *out_len = n;
  if (n == 0) return LHTTP_RESULT_IO;
  if (n > buf_len) return LHTTP_RESULT_BUFFER_TOO_SMALL;
  memcpy(buf, token, n);
  return LHTTP_RESULT_OK;
}

static lhttp_result connect_with(const char *url, const char *token, token_state *conn, token_state *sub,
                                 lhttp_client **out) {
  lhttp_config *cfg = NULL;
  lhttp_result r = lhttp_config_new(url, strlen(url), &cfg);
  if (r == LHTTP_RESULT_OK && token) r = lhttp_config_set_token(cfg, token, strlen(token));
  if (r == LHTTP_RESULT_OK && conn) r = lhttp_config_set_token_callback(cfg, get_token, conn);
  if (r == LHTTP_RESULT_OK && sub) r = lhttp_config_set_subscription_token_callback(cfg, get_subscription_token, sub);
  if (r == LHTTP_RESULT_OK) r = lhttp_client_connect_config(cfg, out);
  lhttp_config_free(cfg);
  return r;
}

static lhttp_result subscribe(lhttp_client *c, const char *channels) {
  return lhttp_client_subscribe(c, channels, strlen(channels));
}

static lhttp_result publish(lhttp_client *c, const char *channel, uint64_t *n) {
  return lhttp_client_publish(c, channel, strlen(channel), "chat", 4, NULL, 0, (const uint8_t *)"hi", 2, n);
}

static void fixed_token(const char *url) {
  char token[2048];
  sign("ann", 600, NULL, token, sizeof token);
  lhttp_client *c = NULL;
  lhttp_result r = connect_with(url, token, NULL, NULL, &c);
  if (r != LHTTP_RESULT_OK) why("connect", r);
  uint64_t n = 0;
  if (r == LHTTP_RESULT_OK) r = subscribe(c, "dm:#ann");
  if (r == LHTTP_RESULT_OK) r = publish(c, "dm:#ann", &n);
  check(r == LHTTP_RESULT_OK && n == 1, "a connection token's uid opens its personal channel dm:#ann");
  lhttp_client_free(c);

  lhttp_client *anonymous = NULL;
  r = connect_with(url, NULL, NULL, NULL, &anonymous);
  if (r == LHTTP_RESULT_OK) r = subscribe(anonymous, "dm:#ann");
  check(r == LHTTP_RESULT_FORBIDDEN, "an anonymous connection is FORBIDDEN dm:#ann");
  lhttp_client_free(anonymous);

  /* The same claims under another secret: the signature does not verify. */
  char bad[2048];
  snprintf(bad, sizeof bad, "%s", token);
  char *sig = strrchr(bad, '.');
  if (sig && sig[1]) sig[1] = sig[1] == 'A' ? 'B' : 'A';
  lhttp_client *refused = NULL;
  r = connect_with(url, bad, NULL, NULL, &refused);
  char text[1024];
  lhttp_last_error(text, sizeof text);
  check(r == LHTTP_RESULT_UNAUTHORIZED && refused == NULL, "a token that does not verify is UNAUTHORIZED");
  check(strstr(text, bad) == NULL && strstr(text, sig ? sig + 1 : "") == NULL, "lhttp_last_error does not show the token");
  lhttp_client_free(refused);
}

static void refresh(const char *url) {
  char token[2048];
  sign("ann", 3, NULL, token, sizeof token);
  lhttp_client *fixed = NULL, *c = NULL;
  token_state conn = {0, 3, 0};
  lhttp_result r = connect_with(url, token, NULL, NULL, &fixed);
  if (r == LHTTP_RESULT_OK) r = connect_with(url, NULL, &conn, NULL, &c);
  if (r != LHTTP_RESULT_OK) why("connect", r);
  check(r == LHTTP_RESULT_OK && conn.calls == 1, "the token callback is asked on connect");
  char id_before[128] = {0}, id_after[128] = {0};
  size_t n = 0;
  if (c) lhttp_client_id(c, id_before, sizeof id_before - 1, &n);
  /* The fixed token's connection is closed by the server once its token expired. */
  lhttp_message *m = NULL;
  lhttp_result gone = fixed ? lhttp_client_recv(fixed, 20000, &m) : LHTTP_RESULT_NULL_PARAMETER;
  lhttp_message_free(m);
  check(gone == LHTTP_RESULT_CLOSED, "a fixed token of the same lifetime: the server closed its connection");
  for (int i = 0; c && conn.calls < 3 && i < 1000; i++) pause_ms(20);
  check(conn.calls >= 3, "the token callback is asked again before each expiry");
  uint64_t d = 0;
  if (c) r = subscribe(c, "dm:#ann");
  if (c && r == LHTTP_RESULT_OK) r = publish(c, "dm:#ann", &d);
  if (c) lhttp_client_id(c, id_after, sizeof id_after - 1, &n);
  check(c && r == LHTTP_RESULT_OK && d == 1 && !strcmp(id_before, id_after),
        "the refreshed connection is the same one and still authenticated");
  lhttp_client_free(fixed);
  lhttp_client_free(c);
}

static void subscription_tokens(const char *url) {
  token_state conn = {0, 600, 0}, sub = {0, 0, 0};
  lhttp_client *c = NULL;
  lhttp_result r = connect_with(url, NULL, &conn, &sub, &c);
  if (r == LHTTP_RESULT_OK) r = subscribe(c, "priv:x room");
  if (r != LHTTP_RESULT_OK) why("subscribe", r);
  uint64_t n = 0;
  if (r == LHTTP_RESULT_OK) r = publish(c, "priv:x", &n);
  check(r == LHTTP_RESULT_OK && n == 1 && sub.calls == 2, "the subscription token callback opens priv:x (and room needs none)");
  lhttp_client_free(c);

  lhttp_client *plain = NULL;
  r = connect_with(url, NULL, NULL, NULL, &plain);
  if (r == LHTTP_RESULT_OK) r = subscribe(plain, "priv:x");
  check(r == LHTTP_RESULT_FORBIDDEN, "without its token priv:x is FORBIDDEN");
  lhttp_client_free(plain);

  token_state broken = {0, 600, 1};
  lhttp_client *b = NULL;
  r = connect_with(url, NULL, &broken, NULL, &b);
  check(r == LHTTP_RESULT_IO && b == NULL && broken.calls == 1, "a token callback that fails: connecting is IO");
  lhttp_client_free(b);
}

int main(int argc, char **argv) {
  if (argc != 3) return fprintf(stderr, "usage: tokens URL SIGNER\n"), 2;
  signer = argv[2];
  fixed_token(argv[1]);
  refresh(argv[1]);
  subscription_tokens(argv[1]);
  printf("tokens: %d failed\n", failed);
  return failed ? 1 : 0;
}
