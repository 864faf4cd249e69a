#include "mgw/dp/srtp_session.h"

#include <srtp2/srtp.h>

#include <array>
#include <mutex>
#include <stdexcept>
#include <string>

namespace mgw::dp {
namespace {

// libsrtp keeps global state (crypto kernel); initialise it once per process, from any thread.
void InitLibsrtpOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (srtp_init() != srtp_err_status_ok) throw std::runtime_error("srtp_init failed");
  });
}

DropReason ToDropReason(srtp_err_status_t status) {
  switch (status) {
    case srtp_err_status_ok:
      return DropReason::kNone;
    case srtp_err_status_auth_fail:
    // SRTCP claiming to be unencrypted under a policy that encrypts: it cannot be verified.
    case srtp_err_status_cant_check:
      return DropReason::kSrtpAuthFail;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
      return DropReason::kSrtpReplay;
    default:
      return DropReason::kSrtpError;
  }
}

constexpr int kReplayWindow = 1024;  // wide enough for video bursts reordered across paths

}  // namespace

size_t SrtpSession::KeyMaterialSize(SrtpSuite suite) {
  return suite == SrtpSuite::kAesCm128HmacSha1_80 ? SRTP_AES_ICM_128_KEY_LEN_WSALT
                                                  : SRTP_AES_GCM_128_KEY_LEN_WSALT;
}

SrtpSession::SrtpSession(SrtpSuite suite, SrtpDirection direction,
                         std::span<const uint8_t> key_material)
    : suite_(suite), direction_(direction) {
  if (key_material.size() != KeyMaterialSize(suite)) {
    throw std::invalid_argument("SRTP key material must be " +
                                std::to_string(KeyMaterialSize(suite)) + " bytes, got " +
                                std::to_string(key_material.size()));
  }
  InitLibsrtpOnce();

  srtp_policy_t policy{};
  if (suite == SrtpSuite::kAesCm128HmacSha1_80) {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
  } else {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
  }
  policy.ssrc.type = direction == SrtpDirection::kInbound ? ssrc_any_inbound : ssrc_any_outbound;
  // libsrtp copies the key during srtp_create; the buffer only has to outlive the call.
  std::array<unsigned char, SRTP_MAX_KEY_LEN> key{};
  std::copy(key_material.begin(), key_material.end(), key.begin());
  policy.key = key.data();
  policy.window_size = kReplayWindow;
  // Plain retransmissions (NACK answered without RTX) resend a sequence number on purpose.
  policy.allow_repeat_tx = direction == SrtpDirection::kOutbound ? 1 : 0;

  srtp_t ctx = nullptr;
  const srtp_err_status_t status = srtp_create(&ctx, &policy);
  if (status != srtp_err_status_ok) {
    throw std::runtime_error("srtp_create failed: status " + std::to_string(status));
  }
  ctx_ = ctx;
}

SrtpSession::~SrtpSession() {
  if (ctx_ != nullptr) srtp_dealloc(ctx_);
}

DropReason SrtpSession::UnprotectRtp(std::span<uint8_t> packet, size_t* size) {
  int len = static_cast<int>(packet.size());
  const DropReason r = ToDropReason(srtp_unprotect(ctx_, packet.data(), &len));
  if (r == DropReason::kNone) *size = static_cast<size_t>(len);
  return r;
}

DropReason SrtpSession::UnprotectRtcp(std::span<uint8_t> packet, size_t* size) {
  int len = static_cast<int>(packet.size());
  const DropReason r = ToDropReason(srtp_unprotect_rtcp(ctx_, packet.data(), &len));
  if (r == DropReason::kNone) *size = static_cast<size_t>(len);
  return r;
}

DropReason SrtpSession::ProtectRtp(std::span<uint8_t> buffer, size_t* size) {
  if (*size + kSrtpMaxOverhead > buffer.size()) return DropReason::kSrtpError;
  int len = static_cast<int>(*size);
  const DropReason r = ToDropReason(srtp_protect(ctx_, buffer.data(), &len));
  if (r == DropReason::kNone) *size = static_cast<size_t>(len);
  return r;
}

DropReason SrtpSession::ProtectRtcp(std::span<uint8_t> buffer, size_t* size) {
  if (*size + kSrtpMaxOverhead > buffer.size()) return DropReason::kSrtpError;
  int len = static_cast<int>(*size);
  const DropReason r = ToDropReason(srtp_protect_rtcp(ctx_, buffer.data(), &len));
  if (r == DropReason::kNone) *size = static_cast<size_t>(len);
  return r;
}

}  // namespace mgw::dp
