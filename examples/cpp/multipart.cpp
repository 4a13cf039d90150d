// A C++ program on the same C header: builds a multipart upload with
// lhttp_encode_multipart, parses it back and prints each part. The parsed
// message is held by a std::unique_ptr whose deleter is lhttp_message_free.
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "lhttp.h"

namespace {

using Message = std::unique_ptr<lhttp_message, decltype(&lhttp_message_free)>;

lhttp_str str(std::string_view s) { return lhttp_str{s.data(), s.size()}; }
std::string_view view(lhttp_str s) { return {s.data, s.len}; }

void check(lhttp_result r, const char *what) {
  if (r != LHTTP_RESULT_OK) throw std::runtime_error(std::string(what) + ": " + lhttp_result_str(r));
}

std::vector<uint8_t> encode_upload() {
  lhttp_header h1[] = {{str("name"), str("a.txt")}};
  lhttp_header h2[] = {{str("name"), str("b.bin")}, {str("type"), str("binary")}};
  const std::string b1 = "first file", b2 = "second";
  lhttp_part_fields parts[] = {
      {h1, 1, reinterpret_cast<const uint8_t *>(b1.data()), b1.size()},
      {h2, 2, reinterpret_cast<const uint8_t *>(b2.data()), b2.size()},
  };
  lhttp_header headers[] = {{str("publish"), str("uploads")}};
  size_t needed = 0;  // first ask for the size, then encode
  if (lhttp_encode_multipart("upload", 6, headers, 1, parts, 2, nullptr, 0, &needed) != LHTTP_RESULT_BUFFER_TOO_SMALL)
    throw std::runtime_error("size query failed");
  std::vector<uint8_t> out(needed);
  size_t n = 0;
  check(lhttp_encode_multipart("upload", 6, headers, 1, parts, 2, out.data(), out.size(), &n), "encode");
  out.resize(n);
  return out;
}

}  // namespace

int main() try {
  const std::vector<uint8_t> bytes = encode_upload();
  lhttp_message *raw = nullptr;
  check(lhttp_message_parse(bytes.data(), bytes.size(), nullptr, &raw), "parse");
  Message msg(raw, &lhttp_message_free);

  lhttp_str command, multipart;
  check(lhttp_message_command(msg.get(), &command), "command");
  check(lhttp_message_header_by_name(msg.get(), "MULTIPART", 9, &multipart), "multipart header");
  std::printf("command %.*s, multipart:%.*s\n", int(command.len), command.data, int(multipart.len), multipart.data);

  size_t count = 0;
  check(lhttp_message_part_count(msg.get(), &count), "parts");
  for (size_t i = 0; i < count; i++) {
    lhttp_str name;
    lhttp_bytes body;
    check(lhttp_message_part_header_by_name(msg.get(), i, "name", 4, &name), "part name");
    check(lhttp_message_part_body(msg.get(), i, &body), "part body");
    std::printf("part %zu: %.*s = %.*s\n", i, int(view(name).size()), name.data, int(body.len),
                reinterpret_cast<const char *>(body.data));
  }
  return 0;
} catch (const std::exception &e) {
  std::fprintf(stderr, "multipart: %s\n", e.what());
  return 1;
}
