#include "http/http_request.hpp"

namespace constellation::fabric::http {

namespace {

// The end of the head: the index just past its empty line, or npos.
std::size_t head_end(std::string_view bytes) {
  for (std::size_t i = bytes.find('\n'); i != std::string_view::npos; i = bytes.find('\n', i + 1)) {
    if (i + 1 < bytes.size() && bytes[i + 1] == '\n') return i + 2;
    if (i + 2 < bytes.size() && bytes[i + 1] == '\r' && bytes[i + 2] == '\n') return i + 3;
  }
  return std::string_view::npos;
}

bool is_token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

}  // namespace

parse_result parse_request(std::string_view bytes) {
  const auto end = head_end(bytes);
  if (end == std::string_view::npos) {
    if (bytes.size() >= max_request_head)
      return request_problem{
          431, "the request's head is larger than " + std::to_string(max_request_head) + " bytes"};
    return incomplete{};
  }
  if (end > max_request_head)
    return request_problem{
        431, "the request's head is larger than " + std::to_string(max_request_head) + " bytes"};
  std::string_view line = bytes.substr(0, bytes.find('\n'));
  if (line.ends_with('\r')) line.remove_suffix(1);
  const auto first_space = line.find(' ');
  const auto last_space = line.rfind(' ');
  if (first_space == std::string_view::npos || first_space == last_space)
    return request_problem{400, "the request line is not METHOD TARGET VERSION"};
  const auto method = line.substr(0, first_space);
  const auto target = line.substr(first_space + 1, last_space - first_space - 1);
  const auto version = line.substr(last_space + 1);
  if (method.empty()) return request_problem{400, "the request has no method"};
  for (char c : method)
    if (!is_token_char(c)) return request_problem{400, "the method is not a token"};
  if (!version.starts_with("HTTP/"))
    return request_problem{400, "the request line does not end with an HTTP version"};
  if (version != "HTTP/1.0" && version != "HTTP/1.1")
    return request_problem{505, "only HTTP/1.0 and HTTP/1.1 are served"};
  if (!target.starts_with('/'))
    return request_problem{400, "the target is not a path starting with /"};
  for (char c : target)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
      return request_problem{400, "the target has a control character or space"};
  request r;
  r.method = method;
  const auto question = target.find('?');
  r.path = target.substr(0, question);
  if (question != std::string_view::npos) r.query = target.substr(question + 1);
  return r;
}

}  // namespace constellation::fabric::http
