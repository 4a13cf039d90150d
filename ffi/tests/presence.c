/* Presence through the C API (spec 15) against a live lhttpd with presence and join/leave for
 * the default namespace, no grace, self-declared identity, and a namespace `quiet` without
 * presence (scripts/test-c.sh: --presence --join-leave --presence-grace 0 --client-identity and
 * `[namespaces.quiet]`):
 *   presence URL
 * 1. a subscriber gets its own join, then another connection's, as lhttp_presence_events read
 *    from received messages, with the uid and info declared on the URL (`?uid=ann&info=...`);
 * 2. lhttp_client_presence lists three members (two connections of uid ann, one without a
 *    uid) in client id order with their info; lhttp_client_presence_stats counts 3 and 1 user;
 * 3. a publication is no event (NOT_FOUND), and it comes before the publisher's leave
 *    (unsubscribe); a closed connection's leave says disconnect;
 * 4. a namespace without presence is NO_PRESENCE; NULL out-parameters are NULL_PARAMETER.
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

static int is(lhttp_str s, const char *want) {
  return s.len == strlen(want) && (s.len == 0 || !memcmp(s.data, want, s.len));
}

/* Whether `a` sorts before `b`, bytewise. */
static int before(lhttp_str a, lhttp_str b) {
  size_t n = a.len < b.len ? a.len : b.len;
  int c = n ? memcmp(a.data, b.data, n) : 0;
  return c < 0 || (c == 0 && a.len < b.len);
}

/* Whether `m` has exactly one info pair, name = `name` (or none when `name` is NULL). */
static int info_is(const lhttp_member *m, const char *name) {
  if (!name) return m->info_len == 0 && m->info == NULL;
  return m->info_len == 1 && is(m->info[0].name, "name") && is(m->info[0].value, name);
}

static lhttp_client *connect_to(const char *url) {
  lhttp_client *c = NULL;
  lhttp_result r = lhttp_client_connect(url, strlen(url), 5000, &c);
  if (r != LHTTP_RESULT_OK) why("connect", r);
  return c;
}

/* A client subscribed to `channel`, or NULL. */
static lhttp_client *member_of(const char *url, const char *channel) {
  lhttp_client *c = connect_to(url);
  lhttp_result r = c ? lhttp_client_subscribe(c, channel, strlen(channel)) : LHTTP_RESULT_CONNECT;
  if (r != LHTTP_RESULT_OK) {
    why("subscribe", r);
    lhttp_client_free(c);
    return NULL;
  }
  return c;
}

static void client_id(const lhttp_client *c, char *buf, size_t len) {
  size_t n = 0;
  if (lhttp_client_id(c, buf, len - 1, &n) != LHTTP_RESULT_OK) n = 0;
  buf[n] = 0;
}

/* The next message on `c` read as a presence event (NULL, with why, when it is none). */
static lhttp_presence_event *next_event(const lhttp_client *c) {
  lhttp_message *msg = NULL;
  lhttp_result r = lhttp_client_recv(c, 5000, &msg);
  if (r != LHTTP_RESULT_OK) {
    why("recv", r);
    return NULL;
  }
  lhttp_presence_event *e = NULL;
  r = lhttp_message_presence_event(msg, &e);
  lhttp_message_free(msg); /* the event owns its copy */
  if (r != LHTTP_RESULT_OK) why("presence event", r);
  return e;
}

/* Whether `e` is a `kind` of client `client` with `uid` on `channel`, for a leave with `reason`. */
static int event_is(const lhttp_presence_event *e, lhttp_presence_kind kind, const char *channel, const char *client,
                    const char *uid, const char *reason) {
  return e && e->kind == kind && is(e->channel, channel) && is(e->member.client, client) && is(e->member.uid, uid) &&
         is(e->reason, reason);
}

int main(int argc, char **argv) {
  if (argc != 2) return fprintf(stderr, "usage: presence URL\n"), 2;
  const char *room = "room", *quiet = "quiet:room";
  char ann_url[512];
  snprintf(ann_url, sizeof ann_url, "%s?uid=ann&info=%%7B%%22name%%22%%3A%%22Ann%%22%%7D", argv[1]);

  /* 1. joins */
  lhttp_client *ann = member_of(ann_url, room);
  if (!ann) {
    check(0, "ann connects with a self-declared identity and subscribes");
    return 1;
  }
  char ann_id[128], bob_id[128], ann2_id[128];
  client_id(ann, ann_id, sizeof ann_id);
  lhttp_presence_event *e = next_event(ann);
  check(event_is(e, LHTTP_PRESENCE_KIND_JOIN, room, ann_id, "ann", "") && info_is(&e->member, "Ann"),
        "a subscriber's own join comes first, with the uid and info of its URL");
  lhttp_presence_event_free(e);

  lhttp_client *bob = member_of(argv[1], room);
  lhttp_client *ann2 = bob ? member_of(ann_url, room) : NULL;
  if (!ann2) {
    check(0, "bob and ann's second connection subscribe");
    lhttp_client_free(bob);
    lhttp_client_free(ann);
    return 1;
  }
  client_id(bob, bob_id, sizeof bob_id);
  client_id(ann2, ann2_id, sizeof ann2_id);
  e = next_event(ann);
  check(event_is(e, LHTTP_PRESENCE_KIND_JOIN, room, bob_id, "", "") && info_is(&e->member, NULL),
        "bob's join: no uid, no info");
  lhttp_presence_event_free(e);
  e = next_event(ann);
  check(event_is(e, LHTTP_PRESENCE_KIND_JOIN, room, ann2_id, "ann", ""), "ann's second connection's join");
  lhttp_presence_event_free(e);

  /* 2. the members and the counts, asked by bob */
  lhttp_presence *p = NULL;
  lhttp_result r = lhttp_client_presence(bob, room, strlen(room), &p);
  if (r != LHTTP_RESULT_OK) why("presence", r);
  int listed = r == LHTTP_RESULT_OK && p->members_len == 3 && p->stats.connections == 3 && p->stats.users == 1 &&
               !p->capped;
  for (size_t i = 0; listed && i < p->members_len; i++) {
    const lhttp_member *m = &p->members[i];
    int ordered = i == 0 || before(p->members[i - 1].client, m->client);
    int ok = is(m->client, bob_id) ? is(m->uid, "") && info_is(m, NULL)
                                   : (is(m->client, ann_id) || is(m->client, ann2_id)) && is(m->uid, "ann") &&
                                         info_is(m, "Ann");
    listed = ordered && ok;
  }
  check(listed, "lhttp_client_presence: 3 members in client id order with their uid and info, 3 connections, 1 user");
  lhttp_presence_free(p);
  lhttp_presence_stats stats = {0, 0};
  r = lhttp_client_presence_stats(bob, room, strlen(room), &stats);
  check(r == LHTTP_RESULT_OK && stats.connections == 3 && stats.users == 1,
        "lhttp_client_presence_stats: two connections of one uid are one user");

  /* 3. a publication, then the publisher's leave; a closed connection's leave */
  r = lhttp_client_publish(bob, room, strlen(room), "chat", 4, NULL, 0, (const uint8_t *)"hi", 2, NULL);
  if (r == LHTTP_RESULT_OK) r = lhttp_client_unsubscribe(bob, room, strlen(room));
  lhttp_message *msg = NULL;
  if (r == LHTTP_RESULT_OK) r = lhttp_client_recv(ann, 5000, &msg);
  lhttp_bytes body = {NULL, 0};
  lhttp_presence_event *none = NULL;
  int publication = r == LHTTP_RESULT_OK && lhttp_message_body(msg, &body) == LHTTP_RESULT_OK && body.len == 2 &&
                    !memcmp(body.data, "hi", 2) &&
                    lhttp_message_presence_event(msg, &none) == LHTTP_RESULT_NOT_FOUND && none == NULL;
  if (r != LHTTP_RESULT_OK) why("publish, unsubscribe, recv", r);
  lhttp_message_free(msg);
  check(publication, "bob's publication arrives before his leave and is no event (NOT_FOUND)");
  e = next_event(ann);
  check(event_is(e, LHTTP_PRESENCE_KIND_LEAVE, room, bob_id, "", "unsubscribe"), "bob's leave: unsubscribe");
  lhttp_presence_event_free(e);
  lhttp_client_free(ann2);
  e = next_event(ann);
  check(event_is(e, LHTTP_PRESENCE_KIND_LEAVE, room, ann2_id, "ann", "disconnect") && info_is(&e->member, "Ann"),
        "a closed connection's leave: disconnect, with its uid and info (no grace)");
  lhttp_presence_event_free(e);

  /* 4. refusals */
  r = lhttp_client_presence(ann, quiet, strlen(quiet), &p);
  lhttp_result r2 = lhttp_client_presence_stats(ann, quiet, strlen(quiet), &stats);
  check(r == LHTTP_RESULT_NO_PRESENCE && r2 == LHTTP_RESULT_NO_PRESENCE && !strcmp(lhttp_result_str(r), "NoPresence"),
        "a namespace without presence is NO_PRESENCE (\"NoPresence\") for both queries");
  check(lhttp_client_presence(ann, room, strlen(room), NULL) == LHTTP_RESULT_NULL_PARAMETER &&
            lhttp_client_presence_stats(ann, room, strlen(room), NULL) == LHTTP_RESULT_NULL_PARAMETER &&
            lhttp_message_presence_event(NULL, &e) == LHTTP_RESULT_NULL_PARAMETER,
        "NULL arguments are NULL_PARAMETER");
  lhttp_presence_free(NULL);
  lhttp_presence_event_free(NULL);

  lhttp_client_free(bob);
  lhttp_client_free(ann);
  printf("presence: %d failed\n", failed);
  return failed ? 1 : 0;
}
