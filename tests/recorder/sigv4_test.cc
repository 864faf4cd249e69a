// The signer against AWS's published values: the SigV4 test suite (get-vanilla, post-vanilla,
// get-vanilla-query-order-key-case, credentials AKIDEXAMPLE, 2015-08-30T12:36:00Z) and the S3
// documentation's GET Object and presigned URL examples (AKIAIOSFODNN7EXAMPLE, 2013-05-24).
#include "mgw/rec/sigv4.h"

#include <gtest/gtest.h>

#include <ctime>

namespace mgw::rec {
namespace {

SystemTime At(int year, int month, int day, int hour, int minute, int second) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

const AwsCredentials kSuite{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const SigV4Scope kSuiteScope{"us-east-1", "service"};
const AwsCredentials kS3Example{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                ""};
const SigV4Scope kS3Scope{"us-east-1", "s3"};
const std::string kEmptySha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

SigV4Request SuiteRequest(const std::string& method) {
  SigV4Request r;
  r.method = method;
  r.path = "/";
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  r.payload_sha256 = kEmptySha;
  return r;
}

TEST(SigV4Test, AmzDateFormat) {
  EXPECT_EQ(AmzDate(At(2015, 8, 30, 12, 36, 0)), "20150830T123600Z");
}

TEST(SigV4Test, EmptyPayloadHash) { EXPECT_EQ(Sha256Hex(std::string_view()), kEmptySha); }

TEST(SigV4Test, GetVanilla) {
  const SigV4Request r = SuiteRequest("GET");
  std::string signed_headers;
  const std::string canonical = CanonicalRequest(r, &signed_headers);
  EXPECT_EQ(
      canonical,
      "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" +
          kEmptySha);
  EXPECT_EQ(StringToSign(canonical, "20150830T123600Z", kSuiteScope),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(AuthorizationHeader(r, kSuite, kSuiteScope, "20150830T123600Z"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4Test, PostVanilla) {
  EXPECT_EQ(AuthorizationHeader(SuiteRequest("POST"), kSuite, kSuiteScope, "20150830T123600Z"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

TEST(SigV4Test, GetVanillaQueryOrderKeyCase) {
  SigV4Request r = SuiteRequest("GET");
  r.query = {{"Param2", "value2"}, {"Param1", "value1"}};
  EXPECT_EQ(AuthorizationHeader(r, kSuite, kSuiteScope, "20150830T123600Z"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(SigV4Test, S3GetObjectExample) {
  SigV4Request r;
  r.method = "GET";
  r.path = "/test.txt";
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"Range", "bytes=0-9"},
               {"x-amz-content-sha256", kEmptySha},
               {"x-amz-date", "20130524T000000Z"}};
  r.payload_sha256 = kEmptySha;
  std::string signed_headers;
  const std::string canonical = CanonicalRequest(r, &signed_headers);
  EXPECT_EQ(signed_headers, "host;range;x-amz-content-sha256;x-amz-date");
  EXPECT_EQ(StringToSign(canonical, "20130524T000000Z", kS3Scope),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(AuthorizationHeader(r, kS3Example, kS3Scope, "20130524T000000Z"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4Test, S3PresignedUrlExample) {
  const std::string url = PresignUrl("https://examplebucket.s3.amazonaws.com",
                                     "examplebucket.s3.amazonaws.com", "/test.txt", kS3Example,
                                     kS3Scope, At(2013, 5, 24, 0, 0, 0), std::chrono::hours(24));
  EXPECT_EQ(url,
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(SigV4Test, SignRequestAddsHeaders) {
  SigV4Request r;
  r.method = "POST";
  r.path = "/bucket/key";
  r.query = {{"uploads", ""}};
  r.headers = {{"host", "127.0.0.1:9000"}};
  r.payload_sha256 = kEmptySha;
  SignRequest(r, kS3Example, kS3Scope, At(2024, 1, 2, 3, 4, 5));
  std::string signed_headers;
  CanonicalRequest(r, &signed_headers);
  ASSERT_EQ(r.headers.back().first, "Authorization");
  EXPECT_NE(r.headers.back().second.find("SignedHeaders=host;x-amz-content-sha256;x-amz-date,"),
            std::string::npos);
  // The canonical query of a name without a value keeps the '='.
  SigV4Request q = r;
  q.headers.pop_back();
  EXPECT_NE(CanonicalRequest(q, nullptr).find("\nuploads=\n"), std::string::npos);
}

TEST(SigV4Test, UriEncoding) {
  EXPECT_EQ(UriEncode("a b/c~d_e.f-g", false), "a%20b%2Fc~d_e.f-g");
  EXPECT_EQ(UriEncode("rec/m 1.mkv", true), "rec/m%201.mkv");
  EXPECT_EQ(UriEncode("\xE1\x88\xB4", false), "%E1%88%B4");
}

}  // namespace
}  // namespace mgw::rec
