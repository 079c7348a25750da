// Records exchanged with the TypeScript side (lib/sandbox/wire.ts holds the twin).
// A record is a list of byte-string fields, each written as "<decimal length>:<bytes>",
// concatenated, and ended by '\n'. Used for the plan (TS -> helper) and for status
// reports (helper -> TS).
#pragma once
#include <string>
#include <vector>

namespace coop {

using Record = std::vector<std::string>;

// Parses records from buf starting at *pos. Returns false at the end of input;
// sets *error (and returns false) on malformed input.
bool read_record(const std::string& buf, size_t* pos, Record* out, bool* error);

// Encodes one record.
std::string encode_record(const Record& rec);

}  // namespace coop
