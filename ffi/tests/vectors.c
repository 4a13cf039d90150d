/*
 * Runs every spec/vectors case through the C API of liblhttp and checks that it
 * agrees with the vectors (and so with the Rust core, which runs the same files).
 * The table comes from gen_vectors.py (vectors_data.h, generated at build time).
 * Prints "N passed, N failed" and exits non-zero on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lhttp.h"

typedef struct { const char *p; size_t n; } vb;
typedef struct { vb name; vb value; } vh;
typedef struct { vb name; vb value; int present; } vl;
typedef struct { size_t start, len, body_start; const vh *headers; size_t n_headers; vb body; } vpart;
typedef struct { const vh *headers; size_t n_headers; vb body; } vpfields;
typedef struct {
  const char *id; vb input; size_t max_headers; const char *error;
  vb command; const vh *headers; size_t n_headers; vb body; const vl *lookups; size_t n_lookups;
} vparse;
typedef struct {
  const char *id; vb input; size_t max_headers, max_parts, max_part_headers; const char *error;
  const vpart *parts; size_t n_parts;
} vmulti;
typedef struct {
  const char *id; vb command; const vh *headers; size_t n_headers; vb body;
  int multipart; const vpfields *parts; size_t n_parts; long buffer_len; const char *error; vb output;
} venc;
typedef struct {
  const char *id; vb input; const vb *lists[3]; size_t n_lists[3];
  int upstream; vb method, url; const char *upstream_error;
} vchan;
typedef struct { const char *id; const vb *channels; size_t n_channels; const char *error; vb output; } vlist;
/* kind: 0 not a reply, 1 connected, 2 ack, 3 error. texts: client_id, id, code, detail, command,
   known; numbers: max_channels, max_subscriptions, max_message_size, deliveries, max_headers (-1: absent). */
typedef struct { const char *id; vb input; int kind; const char *texts[6]; long long numbers[5]; } vreply;

#include "vectors_data.h"

static int failed_case;

#define CHECK(cond, ...)                                    \
  do {                                                      \
    if (!(cond)) {                                          \
      fprintf(stderr, "FAIL %s: ", id);                     \
      fprintf(stderr, __VA_ARGS__);                         \
      fprintf(stderr, " (line %d)\n", __LINE__);            \
      failed_case = 1;                                      \
      goto done;                                            \
    }                                                       \
  } while (0)

static int same(const void *a, size_t an, const void *b, size_t bn) {
  return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

/* The expected error name of a vector against what the call returned. */
static int result_is(lhttp_result got, const char *want) {
  return strcmp(lhttp_result_str(got), want ? want : "OK") == 0;
}

static int headers_equal(const lhttp_message *m, const vh *want, size_t n) {
  for (size_t i = 0; i < n; i++) {
    lhttp_header h;
    if (lhttp_message_header(m, i, &h) != LHTTP_RESULT_OK) return 0;
    if (!same(h.name.data, h.name.len, want[i].name.p, want[i].name.n)) return 0;
    if (!same(h.value.data, h.value.len, want[i].value.p, want[i].value.n)) return 0;
  }
  return 1;
}

static void run_parse(const vparse *v) {
  const char *id = v->id;
  lhttp_message *m = NULL;
  lhttp_parse_limits limits = {v->max_headers, 32, 32};
  lhttp_result r = lhttp_message_parse((const uint8_t *)v->input.p, v->input.n, &limits, &m);
  CHECK(result_is(r, v->error), "parse gave %s, want %s", lhttp_result_str(r), v->error ? v->error : "OK");
  if (v->error) {
    CHECK(m == NULL, "out written on failure");
    goto done;
  }
  lhttp_str cmd;
  CHECK(lhttp_message_command(m, &cmd) == LHTTP_RESULT_OK, "command");
  CHECK(same(cmd.data, cmd.len, v->command.p, v->command.n), "command differs");
  CHECK(lhttp_message_header_count(m) == v->n_headers, "header count %zu, want %zu",
        lhttp_message_header_count(m), v->n_headers);
  CHECK(headers_equal(m, v->headers, v->n_headers), "headers differ");
  lhttp_header past;
  CHECK(lhttp_message_header(m, v->n_headers, &past) == LHTTP_RESULT_OUT_OF_RANGE, "index past the end");
  lhttp_bytes body;
  CHECK(lhttp_message_body(m, &body) == LHTTP_RESULT_OK, "body");
  CHECK(same(body.data, body.len, v->body.p, v->body.n), "body differs");
  /* Views point into the caller's buffer: nothing was copied. */
  CHECK(body.len == 0 || ((const char *)body.data >= v->input.p && (const char *)body.data + body.len <= v->input.p + v->input.n),
        "body is not a view of the input");
  for (size_t i = 0; i < v->n_lookups; i++) {
    lhttp_str value;
    r = lhttp_message_header_by_name(m, v->lookups[i].name.p, v->lookups[i].name.n, &value);
    if (v->lookups[i].present) {
      CHECK(r == LHTTP_RESULT_OK, "lookup %zu: %s", i, lhttp_result_str(r));
      CHECK(same(value.data, value.len, v->lookups[i].value.p, v->lookups[i].value.n), "lookup %zu value", i);
    } else {
      CHECK(r == LHTTP_RESULT_NOT_FOUND, "lookup %zu should be absent", i);
    }
  }
done:
  lhttp_message_free(m);
}

static void run_multi(const vmulti *v) {
  const char *id = v->id;
  lhttp_message *m = NULL;
  lhttp_parse_limits limits = {v->max_headers, v->max_parts, v->max_part_headers};
  lhttp_result r = lhttp_message_parse((const uint8_t *)v->input.p, v->input.n, &limits, &m);
  if (r != LHTTP_RESULT_OK) {
    CHECK(result_is(r, v->error), "parse gave %s", lhttp_result_str(r));
    goto done;
  }
  size_t count = 0;
  r = lhttp_message_part_count(m, &count);
  if (r != LHTTP_RESULT_OK) {
    CHECK(result_is(r, v->error), "split gave %s", lhttp_result_str(r));
    goto done;
  }
  for (size_t i = 0; i < count; i++) {
    size_t n_headers = 0;
    r = lhttp_message_part_header_count(m, i, &n_headers);
    if (r != LHTTP_RESULT_OK) {
      CHECK(result_is(r, v->error), "part %zu gave %s", i, lhttp_result_str(r));
      goto done;
    }
  }
  CHECK(v->error == NULL, "no error, want %s", v->error);
  CHECK(count == v->n_parts, "part count %zu, want %zu", count, v->n_parts);
  lhttp_bytes msg_body;
  CHECK(lhttp_message_body(m, &msg_body) == LHTTP_RESULT_OK, "body");
  for (size_t i = 0; i < count; i++) {
    const vpart *want = &v->parts[i];
    lhttp_part p;
    CHECK(lhttp_message_part(m, i, &p) == LHTTP_RESULT_OK, "part %zu", i);
    CHECK(p.start == want->start && p.len == want->len && p.body_start == want->body_start,
          "part %zu offsets %zu/%zu/%zu", i, p.start, p.len, p.body_start);
    size_t n_headers = 0;
    CHECK(lhttp_message_part_header_count(m, i, &n_headers) == LHTTP_RESULT_OK, "part headers");
    CHECK(n_headers == want->n_headers, "part %zu has %zu headers, want %zu", i, n_headers, want->n_headers);
    for (size_t j = 0; j < n_headers; j++) {
      lhttp_header h;
      CHECK(lhttp_message_part_header(m, i, j, &h) == LHTTP_RESULT_OK, "part header");
      CHECK(same(h.name.data, h.name.len, want->headers[j].name.p, want->headers[j].name.n), "part %zu header %zu name", i, j);
      CHECK(same(h.value.data, h.value.len, want->headers[j].value.p, want->headers[j].value.n), "part %zu header %zu value", i, j);
      lhttp_str by_name;
      CHECK(lhttp_message_part_header_by_name(m, i, h.name.data, h.name.len, &by_name) == LHTTP_RESULT_OK, "by name");
    }
    lhttp_bytes body;
    CHECK(lhttp_message_part_body(m, i, &body) == LHTTP_RESULT_OK, "part body");
    CHECK(same(body.data, body.len, want->body.p, want->body.n), "part %zu body differs", i);
    CHECK(same(body.data, body.len, msg_body.data + p.body_start, p.start + p.len - p.body_start), "part body offsets");
  }
  lhttp_part past;
  CHECK(lhttp_message_part(m, count, &past) == LHTTP_RESULT_OUT_OF_RANGE, "part index past the end");
done:
  lhttp_message_free(m);
}

/* Converts vector headers to API headers (views, no copies). */
static lhttp_header *api_headers(const vh *h, size_t n) {
  lhttp_header *out = calloc(n ? n : 1, sizeof *out);
  for (size_t i = 0; i < n; i++) {
    out[i].name.data = h[i].name.p;
    out[i].name.len = h[i].name.n;
    out[i].value.data = h[i].value.p;
    out[i].value.len = h[i].value.n;
  }
  return out;
}

static lhttp_result encode_into(const venc *v, const lhttp_header *headers, lhttp_part_fields *parts,
                                uint8_t *out, size_t out_len, size_t *n) {
  if (v->multipart)
    return lhttp_encode_multipart(v->command.p, v->command.n, headers, v->n_headers, parts, v->n_parts, out, out_len, n);
  return lhttp_encode(v->command.p, v->command.n, headers, v->n_headers, (const uint8_t *)v->body.p, v->body.n, out,
                      out_len, n);
}

static void run_enc(const venc *v) {
  const char *id = v->id;
  lhttp_header *headers = api_headers(v->headers, v->n_headers);
  lhttp_header **part_headers = calloc(v->n_parts ? v->n_parts : 1, sizeof *part_headers);
  lhttp_part_fields *parts = calloc(v->n_parts ? v->n_parts : 1, sizeof *parts);
  uint8_t *out = NULL;
  lhttp_message *back = NULL;
  for (size_t i = 0; i < v->n_parts; i++) {
    part_headers[i] = api_headers(v->parts[i].headers, v->parts[i].n_headers);
    parts[i].headers = part_headers[i];
    parts[i].headers_len = v->parts[i].n_headers;
    parts[i].body = (const uint8_t *)v->parts[i].body.p;
    parts[i].body_len = v->parts[i].body.n;
  }
  /* Ask for the length needed. */
  size_t needed = 0;
  lhttp_result r = encode_into(v, headers, parts, NULL, 0, &needed);
  size_t len = v->buffer_len >= 0 ? (size_t)v->buffer_len : (r == LHTTP_RESULT_BUFFER_TOO_SMALL ? needed : 256);
  out = malloc(len ? len : 1);
  memset(out, 0xAA, len);
  size_t n = 0;
  r = encode_into(v, headers, parts, out, len, &n);
  CHECK(result_is(r, v->error), "encode gave %s, want %s", lhttp_result_str(r), v->error ? v->error : "OK");
  if (r != LHTTP_RESULT_OK) {
    for (size_t i = 0; i < len; i++) CHECK(out[i] == 0xAA, "failed encode wrote byte %zu", i);
    if (r == LHTTP_RESULT_BUFFER_TOO_SMALL) CHECK(n == needed && n > len, "needed length %zu", n);
    goto done;
  }
  CHECK(n == needed, "wrote %zu, computed %zu", n, needed);
  CHECK(same(out, n, v->output.p, v->output.n), "output differs");
  /* It parses back to the same command and headers. */
  lhttp_parse_limits limits = {v->n_headers + 1, 64, 64};
  CHECK(lhttp_message_parse(out, n, &limits, &back) == LHTTP_RESULT_OK, "output does not parse back");
  lhttp_str cmd;
  CHECK(lhttp_message_command(back, &cmd) == LHTTP_RESULT_OK && same(cmd.data, cmd.len, v->command.p, v->command.n),
        "command differs after parsing back");
  CHECK(lhttp_message_header_count(back) == v->n_headers + (v->multipart ? 1 : 0), "header count after parsing back");
  CHECK(headers_equal(back, v->headers, v->n_headers), "headers differ after parsing back");
  if (v->multipart) {
    size_t count = 0;
    CHECK(lhttp_message_part_count(back, &count) == LHTTP_RESULT_OK && count == v->n_parts, "parts after parsing back");
  }
done:
  lhttp_message_free(back);
  free(out);
  for (size_t i = 0; i < v->n_parts; i++) free(part_headers[i]);
  free(part_headers);
  free(parts);
  free(headers);
}

static void run_chan(const vchan *v) {
  static const char *names[3] = {"subscribe", "publish", "unsubscribe"};
  const char *id = v->id;
  lhttp_message *m = NULL;
  CHECK(lhttp_message_parse((const uint8_t *)v->input.p, v->input.n, NULL, &m) == LHTTP_RESULT_OK, "parse");
  for (int k = 0; k < 3; k++) {
    size_t count = 0;
    CHECK(lhttp_message_channel_count(m, names[k], strlen(names[k]), &count) == LHTTP_RESULT_OK, "count");
    CHECK(count == v->n_lists[k], "%s: %zu channels, want %zu", names[k], count, v->n_lists[k]);
    for (size_t i = 0; i < count; i++) {
      lhttp_str c;
      CHECK(lhttp_message_channel(m, names[k], strlen(names[k]), i, &c) == LHTTP_RESULT_OK, "channel");
      CHECK(same(c.data, c.len, v->lists[k][i].p, v->lists[k][i].n), "%s channel %zu differs", names[k], i);
    }
    lhttp_str past;
    CHECK(lhttp_message_channel(m, names[k], strlen(names[k]), count, &past) == LHTTP_RESULT_OUT_OF_RANGE, "past end");
  }
  lhttp_str method, url;
  lhttp_result r = lhttp_message_upstream(m, &method, &url);
  if (v->upstream == 0) {
    CHECK(r == LHTTP_RESULT_NOT_FOUND, "upstream should be absent, got %s", lhttp_result_str(r));
  } else if (v->upstream == 1) {
    CHECK(r == LHTTP_RESULT_OK, "upstream gave %s", lhttp_result_str(r));
    CHECK(same(method.data, method.len, v->method.p, v->method.n), "upstream method");
    CHECK(same(url.data, url.len, v->url.p, v->url.n), "upstream url");
  } else {
    CHECK(result_is(r, v->upstream_error), "upstream gave %s, want %s", lhttp_result_str(r), v->upstream_error);
  }
done:
  lhttp_message_free(m);
}

static void run_list(const vlist *v) {
  const char *id = v->id;
  lhttp_str *names = calloc(v->n_channels ? v->n_channels : 1, sizeof *names);
  uint8_t *out = NULL;
  for (size_t i = 0; i < v->n_channels; i++) {
    names[i].data = v->channels[i].p;
    names[i].len = v->channels[i].n;
  }
  /* Ask for the length needed (names are checked first). */
  size_t needed = 0;
  lhttp_result r = lhttp_channel_list(names, v->n_channels, NULL, 0, &needed);
  size_t len = r == LHTTP_RESULT_BUFFER_TOO_SMALL ? needed : 64;
  out = malloc(len);
  memset(out, 0xAA, len);
  size_t n = 0;
  r = lhttp_channel_list(names, v->n_channels, out, len, &n);
  CHECK(result_is(r, v->error), "channel list gave %s, want %s", lhttp_result_str(r), v->error ? v->error : "OK");
  if (r != LHTTP_RESULT_OK) {
    for (size_t i = 0; i < len; i++) CHECK(out[i] == 0xAA, "failed channel list wrote byte %zu", i);
    goto done;
  }
  CHECK(n == needed, "wrote %zu, computed %zu", n, needed);
  CHECK(same(out, n, v->output.p, v->output.n), "output differs");
done:
  free(out);
  free(names);
}

/* The first header called `name` is `want` (NULL: absent). */
static int header_is(const lhttp_message *m, const char *name, const char *want) {
  lhttp_str value;
  lhttp_result r = lhttp_message_header_by_name(m, name, strlen(name), &value);
  if (want == NULL) return r == LHTTP_RESULT_NOT_FOUND;
  return r == LHTTP_RESULT_OK && same(value.data, value.len, want, strlen(want));
}

/* The header called `name` as a reply number: -1 when absent or not decimal digits. */
static long long reply_number(const lhttp_message *m, const char *name) {
  lhttp_str value;
  if (lhttp_message_header_by_name(m, name, strlen(name), &value) != LHTTP_RESULT_OK || value.len == 0) return -1;
  long long n = 0;
  for (size_t i = 0; i < value.len; i++) {
    if (value.data[i] < '0' || value.data[i] > '9' || n > 100000000000000LL) return -1;
    n = n * 10 + (value.data[i] - '0');
  }
  return n;
}

/* Whether `name` is a codec or server error name liblhttp has a result code for. */
static int has_code(const char *name) {
  for (unsigned i = 1; i < 64; i++) {
    int named = (i <= LHTTP_RESULT_BUFFER_TOO_SMALL) || (i >= LHTTP_RESULT_MESSAGE_TOO_LARGE && i <= LHTTP_RESULT_NO_CHANNEL) ||
                i == LHTTP_RESULT_CHANNEL || (i >= LHTTP_RESULT_POSITION && i <= LHTTP_RESULT_TOKEN_EXPIRED);
    if (named && strcmp(lhttp_result_str(i), name) == 0) return 1;
  }
  return 0;
}

/* replies.json, read through parse and header lookup (liblhttp has no reply reader):
   the reply is told by its exact command, its fields are its headers. */
static void run_reply(const vreply *v) {
  static const char *numbers[5] = {"max-channels", "max-subscriptions", "max-message-size", "deliveries", "max-headers"};
  const char *id = v->id;
  lhttp_message *m = NULL;
  CHECK(lhttp_message_parse((const uint8_t *)v->input.p, v->input.n, NULL, &m) == LHTTP_RESULT_OK, "parse");
  lhttp_str cmd;
  CHECK(lhttp_message_command(m, &cmd) == LHTTP_RESULT_OK, "command");
  int kind = same(cmd.data, cmd.len, "connected", 9) ? 1 : same(cmd.data, cmd.len, "ack", 3) ? 2
             : same(cmd.data, cmd.len, "error", 5) ? 3 : 0;
  CHECK(kind == v->kind, "reply kind %d, want %d", kind, v->kind);
  for (int k = 0; k < 5; k++) {
    int used = (kind == 1 && k != 3) || (kind == 2 && k == 3);
    if (used) CHECK(reply_number(m, numbers[k]) == v->numbers[k], "%s is %lld, want %lld", numbers[k],
                    reply_number(m, numbers[k]), v->numbers[k]);
  }
  if (kind == 1) CHECK(header_is(m, "client-id", v->texts[0]), "client-id differs");
  if (kind == 2) CHECK(header_is(m, "id", v->texts[1]), "id differs");
  if (kind == 3) {
    lhttp_str code = {"Internal", 8}, detail = {"", 0};
    lhttp_message_header_by_name(m, "code", 4, &code); /* absent: Internal */
    lhttp_message_header_by_name(m, "detail", 6, &detail); /* absent: empty */
    CHECK(same(code.data, code.len, v->texts[2], strlen(v->texts[2])), "code differs");
    CHECK(same(detail.data, detail.len, v->texts[3], strlen(v->texts[3])), "detail differs");
    CHECK(header_is(m, "command", v->texts[4]), "command differs");
    CHECK(header_is(m, "id", v->texts[1]), "id differs");
    /* A known name is one liblhttp has a code for (or a server name it leaves to SERVER). */
    if (strcmp(v->texts[5], "Unknown") == 0) {
      CHECK(!has_code(v->texts[2]), "%s reads as Unknown but has a result code", v->texts[2]);
    } else {
      CHECK(strcmp(v->texts[5], v->texts[2]) == 0, "known %s differs from code %s", v->texts[5], v->texts[2]);
    }
  }
done:
  lhttp_message_free(m);
}

/* The API's own conventions: NULL handling and result names. */
static void run_conventions(void) {
  const char *id = "api-conventions";
  lhttp_message *m = NULL;
  lhttp_str s;
  char text[64];
  CHECK(strcmp(lhttp_result_str(LHTTP_RESULT_OK), "OK") == 0, "OK name");
  CHECK(strcmp(lhttp_result_str(LHTTP_RESULT_TOO_MANY_HEADERS), "TooManyHeaders") == 0, "core name");
  CHECK(strcmp(lhttp_result_str(9999), "Unknown") == 0, "unknown name");
  /* Every core error name (spec section 6) has the result code of that name. */
  static const char *core[] = {"Version", "Command", "NewLine", "HeaderName", "HeaderValue", "TooManyHeaders",
                               "Upstream", "PartOffset", "Part", "TooManyParts", "BufferTooSmall", "Channel", "Position"};
  for (size_t i = 0; i < sizeof core / sizeof *core; i++) CHECK(has_code(core[i]), "no result code for %s", core[i]);
  CHECK(LHTTP_RESULT_CHANNEL == 33 && strcmp(lhttp_result_str(LHTTP_RESULT_CHANNEL), "Channel") == 0, "Channel is 33");
  CHECK(LHTTP_RESULT_POSITION == 34 && strcmp(lhttp_result_str(LHTTP_RESULT_POSITION), "Position") == 0, "Position is 34");
  CHECK(lhttp_message_parse(NULL, 5, NULL, &m) == LHTTP_RESULT_NULL_PARAMETER, "NULL buffer");
  CHECK(lhttp_message_parse((const uint8_t *)"LHTTP/1.0 a\r\n\r\n", 15, NULL, NULL) == LHTTP_RESULT_NULL_PARAMETER,
        "NULL out");
  CHECK(lhttp_last_error(text, sizeof text) > 0 && strlen(text) > 0, "last error text");
  CHECK(lhttp_message_command(NULL, &s) == LHTTP_RESULT_NULL_PARAMETER, "NULL message");
  CHECK(lhttp_message_header_count(NULL) == 0, "count of NULL");
  lhttp_message_free(NULL);
  lhttp_client_free(NULL);
  lhttp_config_free(NULL);
  CHECK(strlen(lhttp_version()) > 0, "version");
done:
  return;
}

int main(void) {
  int passed = 0, failed = 0;
#define RUN(fn, table, n)                  \
  for (size_t i = 0; i < (n); i++) {       \
    failed_case = 0;                       \
    fn(&(table)[i]);                       \
    if (failed_case) failed++; else passed++; \
  }
  RUN(run_parse, PARSE, N_PARSE);
  RUN(run_multi, MULTI, N_MULTI);
  RUN(run_enc, ENC, N_ENC);
  RUN(run_chan, CHAN, N_CHAN);
  RUN(run_list, LIST, N_LIST);
  RUN(run_reply, REPLY, N_REPLY);
  failed_case = 0;
  run_conventions();
  if (failed_case) failed++; else passed++;
  printf("c vectors: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
