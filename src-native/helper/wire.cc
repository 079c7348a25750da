#include "helper/wire.h"

namespace coop {

bool read_record(const std::string& buf, size_t* pos, Record* out, bool* error) {
  out->clear();
  *error = false;
  size_t p = *pos;
  if (p >= buf.size()) return false;
  while (p < buf.size() && buf[p] != '\n') {
    size_t len = 0, digits = 0;
    while (p < buf.size() && buf[p] >= '0' && buf[p] <= '9' && digits < 10) {
      len = len * 10 + size_t(buf[p] - '0');
      ++p;
      ++digits;
    }
    if (digits == 0 || p >= buf.size() || buf[p] != ':' || buf.size() - p - 1 < len) {
      *error = true;
      return false;
    }
    ++p;
    out->emplace_back(buf, p, len);
    p += len;
  }
  if (p >= buf.size()) {  // no terminating newline
    *error = true;
    return false;
  }
  *pos = p + 1;
  return true;
}

std::string encode_record(const Record& rec) {
  std::string out;
  for (const std::string& f : rec) {
    out += std::to_string(f.size());
    out += ':';
    out += f;
  }
  out += '\n';
  return out;
}

}  // namespace coop
