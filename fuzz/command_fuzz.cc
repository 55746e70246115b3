// parse_command (the text after /jit, typed by any member of the workspace): always one of the
// commands, an Unknown always says something, and no field outgrows the text it came from.
#include "fuzz_support.h"
#include "slack/command.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace jit;
  const auto text = fuzz::as_text(data, size);
  const auto command = slack::parse_command(text);
  if (const auto* unknown = std::get_if<slack::Unknown>(&command))
    fuzz::check(!unknown->message.empty(), "an Unknown says what was wrong");
  if (const auto* request = std::get_if<slack::RequestAccess>(&command)) {
    for (const std::string* field : {&request->account, &request->role, &request->duration, &request->reason,
                                     &request->ticket})
      fuzz::check(field->size() <= text.size(), "a field is no longer than the command text");
  }
  return 0;
}
