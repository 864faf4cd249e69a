#pragma once

// RFC 7714 AEAD_AES_128_GCM protection of outgoing SRTP (RTP only), on OpenSSL's EVP AES-GCM.
//
// Why not libsrtp: Debian's libsrtp2 is built on NSS, which sets up a new cipher context (with a
// lock and three heap allocations) for every packet; 1,200-byte GCM protect costs 770 ns there
// and 355 ns through one reused EVP context (`perf/README.md`, "SRTP engines"). Protecting every
// subscriber's copy is most of a forwarding worker's time once SRTP is on, so the dataplane
// protects GCM RTP here (dataplane.srtp_gcm_protect = "openssl", the default) and keeps libsrtp
// for everything else: unprotect, SRTCP both ways, AES_CM_128_HMAC_SHA1_80, and GCM RTP too with
// "libsrtp". The output is bit for bit what libsrtp's protect gives (tests compare both and
// unprotect with libsrtp).
//
// What it does per packet is RFC 7714 section 8.1 with the key derivation of RFC 3711 section
// 4.3 (AES-CM PRF, key derivation rate 0, the 96-bit master salt padded to 112 bits as libsrtp
// does): IV = (00 00 || SSRC || ROC || SEQ) XOR session salt, the RTP header (CSRCs and header
// extension included) is the associated data, the payload is encrypted in place and the 16-byte
// tag appended.

#include <cstddef>
#include <cstdint>
#include <span>

#include "mgw/dp/drop_reason.h"

struct evp_cipher_ctx_st;  // OpenSSL's EVP_CIPHER_CTX, kept out of this header

namespace mgw::dp {

// The sender's rollover state for one SSRC (RFC 3711 section 3.3.1): the highest packet index
// protected so far, 48 bits (ROC << 16 | SEQ). Zero for a new SSRC, and again after new keys.
struct SrtpSendIndex {
  uint64_t highest = 0;
};

class SrtpGcmSender {
 public:
  static constexpr size_t kTagSize = 16;
  // Master key (16 bytes) followed by master salt (12): SrtpSession's key material for
  // SrtpSuite::kAeadAes128Gcm. Throws std::invalid_argument on another size and
  // std::runtime_error when OpenSSL fails.
  explicit SrtpGcmSender(std::span<const uint8_t> key_material);
  ~SrtpGcmSender();
  SrtpGcmSender(const SrtpGcmSender&) = delete;
  SrtpGcmSender& operator=(const SrtpGcmSender&) = delete;

  // Protects the RTP packet in the first `*size` bytes of `buffer` in place and appends the tag;
  // `buffer` must have room for `*size + kTagSize`. `index` is the state of the packet's SSRC.
  // A sequence number seen before (a plain retransmission) is protected under the index it had,
  // as libsrtp does with allow_repeat_tx. Errors: kSrtpError (no room, a header longer than the
  // packet, OpenSSL failed), kSrtpReplay (a sequence number more than 1,024 packets behind the
  // highest, which libsrtp's sender refuses too).
  DropReason ProtectRtp(std::span<uint8_t> buffer, size_t* size, SrtpSendIndex& index);

 private:
  evp_cipher_ctx_st* ctx_ = nullptr;
  uint8_t salt_[12] = {};  // session salt
};

}  // namespace mgw::dp
