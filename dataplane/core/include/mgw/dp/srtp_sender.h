#pragma once

// SRTP protection of outgoing RTP (RFC 3711 AES_CM_128_HMAC_SHA1_80, RFC 7714 AEAD_AES_128_GCM)
// on OpenSSL's EVP ciphers and HMAC.
//
// Why not libsrtp: Debian's libsrtp2 is built on NSS, which sets up a new cipher (and MAC)
// context, with a lock and heap allocations, for every packet. A 1,200-byte packet costs 795 ns
// (GCM) and 4,058 ns (AES-CM) there, against about 350 ns and 950 ns through contexts that are
// set up once and only re-keyed with the IV per packet (`perf/README.md`, "SRTP engines").
// Protecting every subscriber's copy is most of a forwarding worker's time once SRTP is on, so
// the dataplane protects RTP to subscribers here (dataplane.srtp_protect = "openssl", the
// default) and keeps libsrtp for everything else: unprotect, SRTCP both ways, and RTP too with
// "libsrtp". The output is bit for bit what libsrtp's protect gives (tests compare both for
// both suites and unprotect with libsrtp).
//
// Per packet: the index (ROC << 16 | SEQ) is estimated as libsrtp's sender does; then
// - AEAD_AES_128_GCM (RFC 7714 section 8.1): IV = (00 00 || SSRC || ROC || SEQ) XOR the 96-bit
//   session salt, the RTP header (CSRCs and header extension included) as associated data, the
//   payload encrypted in place and the 16-byte tag appended;
// - AES_CM_128_HMAC_SHA1_80 (RFC 3711 sections 4.1.1 and 4.2): the payload encrypted in place
//   with AES-128 in counter mode from IV = (salt << 16) XOR (SSRC << 64) XOR (index << 16), then
//   the first 10 bytes of HMAC-SHA1(header || encrypted payload || ROC) appended.
// The session keys come from the master key and salt by RFC 3711 section 4.3 (AES-CM PRF, key
// derivation rate 0; GCM's 96-bit master salt padded to 112 bits as libsrtp does).

#include <cstddef>
#include <cstdint>
#include <span>

#include "mgw/dp/drop_reason.h"
#include "mgw/dp/srtp_session.h"

struct evp_cipher_ctx_st;  // OpenSSL's EVP_CIPHER_CTX and EVP_MAC_CTX, kept out of this header
struct evp_mac_ctx_st;

namespace mgw::dp {

// The sender's rollover state for one SSRC (RFC 3711 section 3.3.1): the highest packet index
// protected so far, 48 bits (ROC << 16 | SEQ). Zero for a new SSRC, and again after new keys.
struct SrtpSendIndex {
  uint64_t highest = 0;
};

class SrtpSender {
 public:
  // Bytes ProtectRtp appends: 16 (GCM tag) or 10 (AES-CM authentication tag).
  static size_t TrailerSize(SrtpSuite suite) {
    return suite == SrtpSuite::kAeadAes128Gcm ? 16 : 10;
  }

  // Master key followed by master salt, as SrtpSession takes it (SrtpSession::KeyMaterialSize).
  // Throws std::invalid_argument on another size and std::runtime_error when OpenSSL fails.
  SrtpSender(SrtpSuite suite, std::span<const uint8_t> key_material);
  ~SrtpSender();
  SrtpSender(const SrtpSender&) = delete;
  SrtpSender& operator=(const SrtpSender&) = delete;

  SrtpSuite suite() const { return suite_; }

  // Protects the RTP packet in the first `*size` bytes of `buffer` in place and appends the
  // trailer; `buffer` must have room for `*size + TrailerSize(suite())`. `index` is the state of
  // the packet's SSRC. A sequence number seen before (a plain retransmission) is protected
  // under the index it had, as libsrtp does with allow_repeat_tx. Errors: kSrtpError (no room, a
  // header longer than the packet, OpenSSL failed), kSrtpReplay (a sequence number 1,024 or
  // more packets behind the highest, which libsrtp's sender refuses too); neither moves `index`.
  DropReason ProtectRtp(std::span<uint8_t> buffer, size_t* size, SrtpSendIndex& index);

 private:
  bool ProtectGcm(uint8_t* packet, size_t header, size_t length, uint64_t packet_index);
  bool ProtectAesCm(uint8_t* packet, size_t header, size_t length, uint64_t packet_index);

  SrtpSuite suite_;
  evp_cipher_ctx_st* cipher_ = nullptr;
  evp_mac_ctx_st* mac_ = nullptr;  // AES-CM: HMAC-SHA1 under the session authentication key
  uint8_t salt_[14] = {};          // session salt: 12 bytes (GCM) or 14 (AES-CM)
};

}  // namespace mgw::dp
