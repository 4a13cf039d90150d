/* A chat client in C on liblhttp: chat URL CHANNEL NICK.
 * Each line typed is published to CHANNEL as "NICK: line"; every message on CHANNEL is printed. */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "lhttp.h"

static int fail(const char *what, lhttp_result r) {
  char why[256];
  lhttp_last_error(why, sizeof why);
  fprintf(stderr, "%s: %s (%s)\n", what, lhttp_result_str(r), why);
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 4) return fprintf(stderr, "usage: chat URL CHANNEL NICK\n"), 2;
  const char *channel = argv[2], *nick = argv[3];
  lhttp_client *client = NULL;
  lhttp_result r = lhttp_client_connect(argv[1], strlen(argv[1]), 5000, &client);
  if (r != LHTTP_RESULT_OK) return fail("connect", r);
  if ((r = lhttp_client_subscribe(client, channel, strlen(channel))) != LHTTP_RESULT_OK) return fail("subscribe", r);
  printf("joined %s\n", channel);
  fflush(stdout);
  char line[1024], text[1200];
  for (;;) {
    struct pollfd in = {STDIN_FILENO, POLLIN, 0};
    if (poll(&in, 1, 50) > 0) {
      ssize_t n = read(STDIN_FILENO, line, sizeof line - 1);
      if (n <= 0) break; /* end of input: leave */
      line[n] = 0;
      line[strcspn(line, "\n")] = 0;
      snprintf(text, sizeof text, "%s: %s", nick, line);
      r = lhttp_client_publish(client, channel, strlen(channel), "chat", 4, NULL, 0, (const uint8_t *)text, strlen(text), NULL);
      if (r != LHTTP_RESULT_OK) fail("publish", r);
    }
    lhttp_message *msg = NULL;
    while ((r = lhttp_client_try_recv(client, &msg)) == LHTTP_RESULT_OK) {
      lhttp_bytes body;
      if (lhttp_message_body(msg, &body) == LHTTP_RESULT_OK) printf("%.*s\n", (int)body.len, (const char *)body.data);
      fflush(stdout);
      lhttp_message_free(msg);
    }
    if (r != LHTTP_RESULT_WOULD_BLOCK) { fail("receive", r); break; }
  }
  lhttp_client_free(client);
  return 0;
}
