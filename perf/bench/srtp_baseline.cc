#include "srtp_baseline.h"

#include <srtp2/srtp.h>

#include <cstring>
#include <stdexcept>
#include <vector>

#include "load_packet.h"

namespace mgw::bench {

double MeasureLibsrtpProtectRate(SrtpMode suite, size_t packet_size, double seconds) {
  static const bool initialised = srtp_init() == srtp_err_status_ok;
  if (!initialised || suite == SrtpMode::kOff) return 0;
  srtp_policy_t policy{};
  std::vector<uint8_t> key(suite == SrtpMode::kGcm ? 28 : 30, 0x22);
  if (suite == SrtpMode::kGcm) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
  } else {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
  }
  policy.ssrc.type = ssrc_any_outbound;
  policy.key = key.data();
  policy.window_size = 128;
  srtp_t session = nullptr;
  if (srtp_create(&session, &policy) != srtp_err_status_ok) {
    throw std::runtime_error("srtp_create failed");
  }
  std::vector<uint8_t> plain(packet_size);
  WriteLoadPacket(plain.data(), packet_size, 0x1234);
  std::vector<uint8_t> buffer(packet_size + SRTP_MAX_TRAILER_LEN);
  uint64_t count = 0;
  uint16_t seq = 0;
  const uint64_t start = MonotonicNanos();
  const auto end = start + static_cast<uint64_t>(seconds * 1e9);
  uint64_t now = start;
  while (now < end) {
    for (int i = 0; i < 256; ++i) {
      StampLoadPacket(plain.data(), seq++, 0, 0, 0);
      std::memcpy(buffer.data(), plain.data(), packet_size);
      int len = static_cast<int>(packet_size);
      if (srtp_protect(session, buffer.data(), &len) == srtp_err_status_ok) ++count;
    }
    now = MonotonicNanos();
  }
  srtp_dealloc(session);
  return static_cast<double>(count) / (static_cast<double>(now - start) / 1e9);
}

}  // namespace mgw::bench
