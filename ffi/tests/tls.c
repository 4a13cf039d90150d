/* wss:// from C (spec 10) against a live lhttpd serving a certificate for 127.0.0.1 that a
 * private CA signed (scripts/test-c.sh makes both with openssl and starts lhttpd with --tls-cert
 * and --tls-key). It exists because no C test had connected over TLS, nor used
 * lhttp_config_set_ca_pem (issue 20):
 *   tls WSS_URL CA_PEM_FILE OTHER_CA_PEM_FILE
 * 1. with the CA given to lhttp_config_set_ca_pem (read from CA_PEM_FILE) the client connects,
 *    subscribes, publishes (deliveries 1) and receives its publication over TLS;
 * 2. without it (lhttp_client_connect, and a config without a CA) the certificate is not trusted:
 *    CONNECT, as lhttp.h says for a TLS failure, never a plain-text fallback;
 * 3. trusting another CA (OTHER_CA_PEM_FILE, which did not sign the certificate) is CONNECT too.
 * Prints "ok: ..." or "FAILED: ..." per check; exits 0 only when every check passed. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* The whole file, malloc'd, its length in *len; NULL when it cannot be read. */
static uint8_t *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  uint8_t *buf = malloc(65536);
  *len = buf ? fread(buf, 1, 65536, f) : 0;
  fclose(f);
  if (buf && *len == 0) {
    free(buf);
    buf = NULL;
  }
  return buf;
}

/* Connects to `url` trusting `ca` (NULL: only the system's roots). */
static lhttp_result connect_trusting(const char *url, const uint8_t *ca, size_t ca_len, lhttp_client **out) {
  lhttp_config *config = NULL;
  lhttp_result r = lhttp_config_new(url, strlen(url), &config);
  if (r == LHTTP_RESULT_OK) r = lhttp_config_set_connect_timeout_ms(config, 10000);
  if (r == LHTTP_RESULT_OK && ca) r = lhttp_config_set_ca_pem(config, ca, ca_len);
  if (r == LHTTP_RESULT_OK) r = lhttp_client_connect_config(config, out);
  lhttp_config_free(config); /* the client keeps what it needs: the pem was copied */
  return r;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s WSS_URL CA_PEM_FILE OTHER_CA_PEM_FILE\n", argv[0]);
    return 2;
  }
  const char *url = argv[1];
  size_t ca_len = 0, other_len = 0;
  uint8_t *ca = slurp(argv[2], &ca_len), *other = slurp(argv[3], &other_len);
  check(ca && other, "the two CA files are read");
  if (!ca || !other) return 1;

  lhttp_client *c = NULL;
  lhttp_result r = connect_trusting(url, ca, ca_len, &c);
  /* The caller's copy may go at once: lhttp_config_set_ca_pem copied it. */
  memset(ca, 0, ca_len);
  if (r != LHTTP_RESULT_OK) why("connect with the CA", r);
  check(r == LHTTP_RESULT_OK, "wss:// with lhttp_config_set_ca_pem(the CA): connected");
  if (r == LHTTP_RESULT_OK) {
    uint64_t n = 0;
    r = lhttp_client_subscribe(c, "tls", 3);
    if (r == LHTTP_RESULT_OK)
      r = lhttp_client_publish(c, "tls", 3, "chat", 4, NULL, 0, (const uint8_t *)"over tls", 8, &n);
    lhttp_message *msg = NULL;
    if (r == LHTTP_RESULT_OK) r = lhttp_client_recv(c, 5000, &msg);
    lhttp_bytes b = {NULL, 0};
    if (r == LHTTP_RESULT_OK) r = lhttp_message_body(msg, &b);
    if (r != LHTTP_RESULT_OK) why("subscribe, publish, recv", r);
    check(r == LHTTP_RESULT_OK && n == 1 && b.len == 8 && !memcmp(b.data, "over tls", 8),
          "over TLS: subscribed, published (deliveries 1), received the publication");
    lhttp_message_free(msg);
  }
  lhttp_client_free(c);

  c = NULL;
  r = lhttp_client_connect(url, strlen(url), 10000, &c);
  if (r != LHTTP_RESULT_CONNECT) why("connect without the CA", r);
  check(r == LHTTP_RESULT_CONNECT && !c, "wss:// through lhttp_client_connect, without the CA: CONNECT");
  lhttp_client_free(c);

  c = NULL;
  r = connect_trusting(url, NULL, 0, &c);
  if (r != LHTTP_RESULT_CONNECT) why("connect with a config without a CA", r);
  check(r == LHTTP_RESULT_CONNECT && !c, "wss:// with a config without lhttp_config_set_ca_pem: CONNECT");
  lhttp_client_free(c);

  c = NULL;
  r = connect_trusting(url, other, other_len, &c);
  if (r != LHTTP_RESULT_CONNECT) why("connect trusting another CA", r);
  check(r == LHTTP_RESULT_CONNECT && !c, "wss:// trusting only another CA (not the signer): CONNECT");
  lhttp_client_free(c);

  free(ca);
  free(other);
  return failed ? 1 : 0;
}
