#include "mgw/control/control_protocol.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace mgw::control {
namespace {

namespace json = boost::json;

Error ErrorOf(std::string_view line) {
  auto parsed = ParseRequest(line);
  auto* failure = std::get_if<ParseFailure>(&parsed);
  if (failure == nullptr) return {ErrorCode::kInternal, "parsed fine"};
  return failure->error;
}

Command CommandOf(std::string_view line) {
  auto parsed = ParseRequest(line);
  auto* request = std::get_if<Request>(&parsed);
  EXPECT_NE(request, nullptr) << std::get<ParseFailure>(parsed).error.message;
  return request ? request->command : Command{};
}

std::string Key(size_t n, uint8_t fill) { return Base64Encode(std::vector<uint8_t>(n, fill)); }

TEST(ControlProtocolTest, ParsesAFullParticipant) {
  std::string line =
      R"({"v":1,"id":"a1","op":"participant.add","participant":"p1","meeting":"m1",)"
      R"("address":"198.18.0.1:5004","srtp":{"suite":"AEAD_AES_128_GCM","rx_key":")" +
      Key(28, 1) + R"(","tx_key":")" + Key(28, 2) +
      R"("},"audio":{"ssrc":1111},"video":{"codec":"vp8","rtx_payload_type":97,)"
      R"("encodings":[{"ssrc":2001,"rtx_ssrc":3001,"bitrate":150000},{"ssrc":2002,"bitrate":600000}]}})";
  auto add = std::get<AddParticipant>(CommandOf(line));
  EXPECT_EQ(add.participant, "p1");
  EXPECT_EQ(add.meeting, "m1");
  EXPECT_FALSE(add.recorder);
  EXPECT_EQ(add.address, "198.18.0.1:5004");
  ASSERT_TRUE(add.srtp);
  EXPECT_EQ(add.srtp->suite, SrtpSuite::kAeadAes128Gcm);
  EXPECT_EQ(add.srtp->rx_key, std::vector<uint8_t>(28, 1));
  ASSERT_TRUE(add.audio);
  EXPECT_EQ(add.audio->ssrc, 1111u);
  EXPECT_EQ(add.audio->payload_type, 111);
  ASSERT_TRUE(add.video);
  EXPECT_EQ(add.video->encodings.size(), 2u);
  EXPECT_EQ(add.video->encodings[0].rtx_ssrc, 3001u);
  EXPECT_EQ(add.video->rtx_payload_type, 97);
}

TEST(ControlProtocolTest, RoundTripsThroughSerializeRequest) {
  Swap swap{"p2", {"p1"}, {{"p3", 300000}}};
  auto again = std::get<Swap>(CommandOf(SerializeRequest(json::value(5), swap)));
  EXPECT_EQ(again.subscriber, "p2");
  EXPECT_EQ(again.remove, std::vector<std::string>{"p1"});
  ASSERT_EQ(again.add.size(), 1u);
  EXPECT_EQ(again.add[0].publisher, "p3");
  EXPECT_EQ(again.add[0].bitrate, 300000u);

  AddParticipant add;
  add.participant = "p";
  add.meeting = "m";
  add.srtp = SrtpKeys{SrtpSuite::kAesCm128HmacSha1_80, std::vector<uint8_t>(30, 7),
                      std::vector<uint8_t>(30, 9)};
  add.video = VideoSpec{"h264", 102, 90000, std::nullopt, {{5, std::nullopt, 100}}};
  auto add_again = std::get<AddParticipant>(CommandOf(SerializeRequest(json::value("x"), add)));
  EXPECT_EQ(add_again.srtp->tx_key, std::vector<uint8_t>(30, 9));
  EXPECT_EQ(add_again.video->codec, "h264");
}

TEST(ControlProtocolTest, SubscribeTakesAnRtxStream) {
  auto s = std::get<Subscribe>(
      CommandOf(R"({"v":1,"id":1,"op":"subscribe","subscriber":"a","publisher":"b","bitrate":5,)"
                R"("rtx_ssrc":77,"rtx_payload_type":97})"));
  EXPECT_EQ(s.rtx_ssrc, 77u);
  EXPECT_EQ(s.rtx_payload_type, 97);
  auto again = std::get<Subscribe>(CommandOf(SerializeRequest(json::value(2), s)));
  EXPECT_EQ(again.rtx_ssrc, 77u);
  EXPECT_EQ(again.rtx_payload_type, 97);
  EXPECT_EQ(ErrorOf(R"({"v":1,"id":1,"op":"subscribe","subscriber":"a","publisher":"b",)"
                    R"("bitrate":5,"rtx_ssrc":77})")
                .message,
            "\"rtx_payload_type\" is required with the other RTX field");
}

TEST(ControlProtocolTest, RejectsWhatIsMalformed) {
  EXPECT_EQ(ErrorOf("not json").code, ErrorCode::kBadRequest);
  EXPECT_EQ(ErrorOf("[1,2]").code, ErrorCode::kBadRequest);
  EXPECT_EQ(ErrorOf(R"({"v":1,"op":"hello"})").message, "\"id\" is required");
  EXPECT_EQ(ErrorOf(R"({"v":2,"id":1,"op":"hello"})").code, ErrorCode::kUnsupportedVersion);
  EXPECT_EQ(ErrorOf(R"({"v":1,"id":1,"op":"fly"})").code, ErrorCode::kUnknownOp);
  EXPECT_EQ(ErrorOf(R"({"v":1,"id":1,"op":"hello","extra":true})").message,
            "unknown field \"extra\"");
  EXPECT_EQ(ErrorOf(R"({"v":1,"id":1,"op":"subscribe","subscriber":"a","publisher":"b"})").message,
            "\"bitrate\" is required");
  EXPECT_EQ(
      ErrorOf(R"({"v":1,"id":1,"op":"subscribe","subscriber":"a","publisher":"b","bitrate":-1})")
          .message,
      "\"bitrate\" must be an integer from 0 to 1000000000");
  EXPECT_EQ(ErrorOf(R"({"v":1,"id":1,"op":"participant.add","participant":"p","meeting":"m",)"
                    R"("audio":{"ssrc":4294967296}})")
                .message,
            "audio: \"ssrc\" must be an integer from 0 to 4294967295");
  EXPECT_EQ(ErrorOf(R"({"v":1,"id":1,"op":"participant.add","participant":"p","meeting":"m",)"
                    R"("video":{"codec":"vp9","encodings":[{"ssrc":1}]}})")
                .message,
            "video: \"codec\" must be one of \"vp8\", \"h264\"");
  EXPECT_EQ(
      ErrorOf(
          R"({"v":1,"id":1,"op":"participant.add","participant":"p","meeting":"m",)"
          R"("video":{"codec":"vp8","encodings":[{"ssrc":1,"bitrate":5},{"ssrc":2,"bitrate":1}]}})")
          .message,
      "video.encodings[1]: \"bitrate\" must not be lower than the previous encoding's "
      "(lowest first)");
  EXPECT_EQ(
      ErrorOf(R"({"v":1,"id":1,"op":"participant.add","participant":"","meeting":"m"})").message,
      "\"participant\" must be 1 to 128 bytes long");
  std::string short_key = R"({"v":1,"id":1,"op":"participant.set_keys","participant":"p",)"
                          R"("srtp":{"suite":"AES_CM_128_HMAC_SHA1_80","rx_key":")" +
                          Key(28, 1) + R"(","tx_key":")" + Key(30, 1) + R"("}})";
  EXPECT_EQ(ErrorOf(short_key).message,
            "srtp: \"rx_key\" must hold 30 bytes (master key and salt) for "
            "AES_CM_128_HMAC_SHA1_80, not 28");
  EXPECT_EQ(ErrorOf(R"({"v":1,"id":1,"op":"participant.add","participant":"r","meeting":"m",)"
                    R"("role":"recorder","audio":{"ssrc":1}})")
                .message,
            "\"role\" \"recorder\" publishes nothing: drop \"audio\" and \"video\"");
}

TEST(ControlProtocolTest, ErrorsEchoTheId) {
  auto parsed = ParseRequest(R"({"v":1,"id":"abc","op":"fly"})");
  EXPECT_EQ(std::get<ParseFailure>(parsed).id, json::value("abc"));
  json::value response =
      json::parse(SerializeError(json::value("abc"), {ErrorCode::kNotFound, "x"}));
  EXPECT_EQ(response.at("error").at("code"), json::value("not_found"));
  EXPECT_EQ(response.at("ok"), json::value(false));
}

TEST(ControlProtocolTest, Base64) {
  for (size_t n = 0; n < 40; ++n) {
    std::vector<uint8_t> bytes(n);
    for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<uint8_t>(i * 37 + n);
    EXPECT_EQ(Base64Decode(Base64Encode(bytes)), bytes);
  }
  EXPECT_EQ(Base64Encode({'f', 'o', 'o', 'b'}), "Zm9vYg==");
  EXPECT_FALSE(Base64Decode("Zm9v!g=="));
  EXPECT_FALSE(Base64Decode("Zm9"));
  EXPECT_FALSE(Base64Decode("Zg==Zg=="));
}

}  // namespace
}  // namespace mgw::control
