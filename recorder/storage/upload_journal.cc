#include "mgw/rec/upload_journal.h"

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "mgw/rec/manifest.h"

namespace mgw::rec {

namespace json = boost::json;

namespace {

const char* StateName(UploadJournal::State state) {
  switch (state) {
    case UploadJournal::State::kUploading:
      return "uploading";
    case UploadJournal::State::kComplete:
      return "complete";
    case UploadJournal::State::kFailed:
      return "failed";
  }
  return "uploading";
}

}  // namespace

std::string UploadJournal::ToJson() const {
  json::object root;
  root["key"] = key;
  root["upload_id"] = upload_id;
  root["part_size"] = part_size;
  root["state"] = StateName(state);
  root["error"] = error;
  json::array list;
  for (const JournalPart& p : parts) {
    list.push_back(json::object{
        {"number", p.number}, {"offset", p.offset}, {"size", p.size}, {"etag", p.etag}});
  }
  root["parts"] = std::move(list);
  return json::serialize(root) + "\n";
}

std::optional<UploadJournal> UploadJournal::FromJson(const std::string& text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  try {
    const json::object& o = value.get_object();
    UploadJournal j;
    j.key = json::value_to<std::string>(o.at("key"));
    j.upload_id = json::value_to<std::string>(o.at("upload_id"));
    j.part_size = json::value_to<uint64_t>(o.at("part_size"));
    const std::string state = json::value_to<std::string>(o.at("state"));
    j.state = state == "complete" ? State::kComplete
              : state == "failed" ? State::kFailed
                                  : State::kUploading;
    j.error = json::value_to<std::string>(o.at("error"));
    for (const json::value& p : o.at("parts").as_array()) {
      const json::object& po = p.as_object();
      j.parts.push_back(
          {json::value_to<int>(po.at("number")), json::value_to<uint64_t>(po.at("offset")),
           json::value_to<uint64_t>(po.at("size")), json::value_to<std::string>(po.at("etag"))});
    }
    // Parts must tile the file from 0, or the journal cannot be trusted.
    uint64_t expected = 0;
    for (size_t i = 0; i < j.parts.size(); ++i) {
      if (j.parts[i].number != static_cast<int>(i + 1) || j.parts[i].offset != expected) {
        return std::nullopt;
      }
      expected += j.parts[i].size;
    }
    return j;
  } catch (const std::exception&) {  // a field of the wrong type: not a journal we wrote
    return std::nullopt;
  }
}

std::optional<UploadJournal> UploadJournal::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return FromJson(text.str());
}

bool UploadJournal::Save(const std::string& path) const {
  return WriteFileAtomically(path, ToJson());
}

}  // namespace mgw::rec
