#pragma once

// One SRTP/SRTCP context (RFC 3711) in one direction, wrapping libsrtp2. An inbound session
// unprotects everything a participant sends; an outbound session protects everything sent to it
// (any SSRC: libsrtp derives a stream per SSRC from one master key). Protect and unprotect work in
// place and report failures as DropReason; only construction throws (bad key material).
//
// libsrtp creates its per-SSRC stream state on the first packet of each SSRC; that is the only
// allocation, once per stream, never per packet.

#include <cstddef>
#include <cstdint>
#include <span>

#include "mgw/dp/drop_reason.h"

struct srtp_ctx_t_;  // libsrtp2's session type, kept out of this header

namespace mgw::dp {

enum class SrtpSuite : uint8_t {
  kAesCm128HmacSha1_80,  // RFC 3711 / RFC 4568 AES_CM_128_HMAC_SHA1_80
  kAeadAes128Gcm,        // RFC 7714 AEAD_AES_128_GCM
};

enum class SrtpDirection : uint8_t { kInbound, kOutbound };

// Bytes protect may append: tag (16) + MKI room (128), plus the 4-byte SRTCP index.
inline constexpr size_t kSrtpMaxOverhead = 16 + 128 + 4;

class SrtpSession {
 public:
  // Master key followed by master salt: 30 bytes for AES-CM, 28 for AES-GCM.
  static size_t KeyMaterialSize(SrtpSuite suite);

  // Throws std::invalid_argument on wrong key size, std::runtime_error if libsrtp refuses.
  SrtpSession(SrtpSuite suite, SrtpDirection direction, std::span<const uint8_t> key_material);
  ~SrtpSession();
  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  SrtpSuite suite() const { return suite_; }
  SrtpDirection direction() const { return direction_; }

  // Verifies and decrypts `packet` in place; on success `*size` is the plain length.
  // kSrtpAuthFail, kSrtpReplay, or kSrtpError.
  DropReason UnprotectRtp(std::span<uint8_t> packet, size_t* size);
  DropReason UnprotectRtcp(std::span<uint8_t> packet, size_t* size);

  // Encrypts the first `*size` bytes of `buffer` in place and appends the trailer; `buffer` must
  // have room for `*size + kSrtpMaxOverhead` bytes, else kSrtpError. On success `*size` is the
  // protected length.
  DropReason ProtectRtp(std::span<uint8_t> buffer, size_t* size);
  DropReason ProtectRtcp(std::span<uint8_t> buffer, size_t* size);

 private:
  SrtpSuite suite_;
  SrtpDirection direction_;
  srtp_ctx_t_* ctx_ = nullptr;
};

}  // namespace mgw::dp
