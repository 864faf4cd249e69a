#include "mgw/dp/srtp_sender.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <string.h>

#include <array>
#include <cstring>
#include <stdexcept>
#include <string>

namespace mgw::dp {
namespace {

constexpr size_t kMasterKeySize = 16;
constexpr uint8_t kLabelRtpEncryption = 0x00;
constexpr uint8_t kLabelRtpAuthentication = 0x01;
constexpr uint8_t kLabelRtpSalt = 0x02;
constexpr size_t kAuthKeySize = 20;  // HMAC-SHA1
// libsrtp's outbound replay window (SrtpSession's kReplayWindow): a sequence number further
// behind the highest than this is refused.
constexpr int64_t kReplayWindow = 1024;

// RFC 3711 section 4.3.1 with key derivation rate 0: AES-128 in counter mode under the master
// key, the IV being the master salt (padded with zeros to 14 bytes) with the label XORed into
// its eighth byte, and a 16-bit block counter; the keystream is the session key or salt.
void DeriveSessionKey(std::span<const uint8_t> master_key, std::span<const uint8_t> master_salt,
                      uint8_t label, std::span<uint8_t> out) {
  std::array<uint8_t, 16> iv{};
  std::copy(master_salt.begin(), master_salt.end(), iv.begin());
  iv[7] ^= label;
  std::array<uint8_t, 32> zeros{};
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int length = 0;
  const bool ok =
      ctx != nullptr &&
      EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), nullptr, master_key.data(), iv.data()) == 1 &&
      EVP_EncryptUpdate(ctx, out.data(), &length, zeros.data(), static_cast<int>(out.size())) == 1;
  EVP_CIPHER_CTX_free(ctx);
  explicit_bzero(iv.data(), iv.size());
  if (!ok) throw std::runtime_error("SRTP key derivation failed (OpenSSL AES-CTR)");
}

uint16_t Load16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// libsrtp's srtp_rdbx_estimate_index and srtp_index_guess: the 48-bit index of sequence number
// `seq` relative to the highest so far, and how far ahead of it that is (negative: behind).
uint64_t EstimateIndex(uint64_t highest, uint16_t seq, int64_t* delta) {
  constexpr int64_t kMedian = 1 << 15;
  constexpr int64_t kMax = 1 << 16;
  if (highest <= static_cast<uint64_t>(kMedian)) {
    // Early in the stream the guess could otherwise wrap the ROC below zero.
    *delta = static_cast<int64_t>(seq) - static_cast<int64_t>(highest);
    return seq;
  }
  const auto local_roc = static_cast<uint32_t>(highest >> 16);
  const auto local_seq = static_cast<int64_t>(static_cast<uint16_t>(highest));
  uint32_t roc = local_roc;
  const int64_t s = seq;
  if (local_seq < kMedian) {
    if (s - local_seq > kMedian) {
      roc = local_roc - 1;
      *delta = s - local_seq - kMax;
    } else {
      *delta = s - local_seq;
    }
  } else if (local_seq - kMedian > s) {
    roc = local_roc + 1;
    *delta = s - local_seq + kMax;
  } else {
    *delta = s - local_seq;
  }
  return (static_cast<uint64_t>(roc) << 16) | seq;
}

}  // namespace

SrtpSender::SrtpSender(SrtpSuite suite, std::span<const uint8_t> key_material) : suite_(suite) {
  const bool gcm = suite == SrtpSuite::kAeadAes128Gcm;
  if (key_material.size() != SrtpSession::KeyMaterialSize(suite)) {
    throw std::invalid_argument(std::string(gcm ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80") +
                                " key material must be " +
                                std::to_string(SrtpSession::KeyMaterialSize(suite)) +
                                " bytes, got " + std::to_string(key_material.size()));
  }
  const auto master_key = key_material.first(kMasterKeySize);
  const auto master_salt = key_material.subspan(kMasterKeySize);
  std::array<uint8_t, 16> session_key{};
  std::array<uint8_t, kAuthKeySize> auth_key{};
  bool ok = true;
  try {
    DeriveSessionKey(master_key, master_salt, kLabelRtpEncryption, session_key);
    DeriveSessionKey(master_key, master_salt, kLabelRtpSalt,
                     std::span<uint8_t>(salt_, master_salt.size()));
    if (!gcm) DeriveSessionKey(master_key, master_salt, kLabelRtpAuthentication, auth_key);
  } catch (const std::runtime_error&) {
    ok = false;
  }
  cipher_ = EVP_CIPHER_CTX_new();
  ok = ok && cipher_ != nullptr;
  if (ok && gcm) {
    ok = EVP_EncryptInit_ex(cipher_, EVP_aes_128_gcm(), nullptr, nullptr, nullptr) == 1 &&
         EVP_CIPHER_CTX_ctrl(cipher_, EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) == 1 &&
         EVP_EncryptInit_ex(cipher_, nullptr, nullptr, session_key.data(), nullptr) == 1;
  } else if (ok) {
    ok = EVP_EncryptInit_ex(cipher_, EVP_aes_128_ctr(), nullptr, session_key.data(), nullptr) == 1;
    EVP_MAC* hmac = ok ? EVP_MAC_fetch(nullptr, "HMAC", nullptr) : nullptr;
    mac_ = hmac != nullptr ? EVP_MAC_CTX_new(hmac) : nullptr;
    EVP_MAC_free(hmac);  // the context holds its own reference
    char digest[] = "SHA1";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_END};
    ok = mac_ != nullptr && EVP_MAC_init(mac_, auth_key.data(), auth_key.size(), params) == 1;
  }
  explicit_bzero(session_key.data(), session_key.size());
  explicit_bzero(auth_key.data(), auth_key.size());
  if (!ok) {
    EVP_MAC_CTX_free(mac_);
    EVP_CIPHER_CTX_free(cipher_);
    explicit_bzero(salt_, sizeof salt_);
    throw std::runtime_error("SRTP context set-up failed (OpenSSL)");
  }
}

SrtpSender::~SrtpSender() {
  EVP_MAC_CTX_free(mac_);        // frees (and clears) the HMAC key
  EVP_CIPHER_CTX_free(cipher_);  // and the key schedule
  explicit_bzero(salt_, sizeof salt_);
}

DropReason SrtpSender::ProtectRtp(std::span<uint8_t> buffer, size_t* size, SrtpSendIndex& index) {
  const size_t length = *size;
  if (length < 12 || length + TrailerSize(suite_) > buffer.size()) return DropReason::kSrtpError;
  uint8_t* packet = buffer.data();
  // What stays in clear: fixed header, CSRCs, header extension (RFC 3550 section 5.3.1).
  size_t header = 12 + 4 * size_t{packet[0] & 0x0fu};
  if ((packet[0] & 0x10) != 0) {
    if (header + 4 > length) return DropReason::kSrtpError;
    header += 4 + 4 * size_t{Load16(packet + header + 2)};
  }
  if (header > length) return DropReason::kSrtpError;

  int64_t delta = 0;
  const uint64_t packet_index = EstimateIndex(index.highest, Load16(packet + 2), &delta);
  if (delta <= -kReplayWindow) return DropReason::kSrtpReplay;
  const bool ok = suite_ == SrtpSuite::kAeadAes128Gcm
                      ? ProtectGcm(packet, header, length, packet_index)
                      : ProtectAesCm(packet, header, length, packet_index);
  if (!ok) return DropReason::kSrtpError;
  if (delta > 0) index.highest = packet_index;
  *size = length + TrailerSize(suite_);
  return DropReason::kNone;
}

bool SrtpSender::ProtectGcm(uint8_t* packet, size_t header, size_t length, uint64_t packet_index) {
  // RFC 7714 section 8.1: 00 00 || SSRC || ROC || SEQ, XOR the session salt.
  std::array<uint8_t, 12> iv{};
  std::memcpy(iv.data() + 2, packet + 8, 4);
  const auto roc = static_cast<uint32_t>(packet_index >> 16);
  iv[6] = static_cast<uint8_t>(roc >> 24);
  iv[7] = static_cast<uint8_t>(roc >> 16);
  iv[8] = static_cast<uint8_t>(roc >> 8);
  iv[9] = static_cast<uint8_t>(roc);
  iv[10] = packet[2];
  iv[11] = packet[3];
  for (size_t i = 0; i < iv.size(); ++i) iv[i] ^= salt_[i];

  int out = 0;
  uint8_t* payload = packet + header;
  const int payload_length = static_cast<int>(length - header);
  return EVP_EncryptInit_ex(cipher_, nullptr, nullptr, nullptr, iv.data()) == 1 &&
         EVP_EncryptUpdate(cipher_, nullptr, &out, packet, static_cast<int>(header)) == 1 &&
         (payload_length == 0 ||
          EVP_EncryptUpdate(cipher_, payload, &out, payload, payload_length) == 1) &&
         EVP_EncryptFinal_ex(cipher_, payload + payload_length, &out) == 1 &&
         EVP_CIPHER_CTX_ctrl(cipher_, EVP_CTRL_GCM_GET_TAG, 16, packet + length) == 1;
}

bool SrtpSender::ProtectAesCm(uint8_t* packet, size_t header, size_t length,
                              uint64_t packet_index) {
  // RFC 3711 section 4.1.1: (salt << 16) XOR (SSRC << 64) XOR (index << 16).
  std::array<uint8_t, 16> iv{};
  std::memcpy(iv.data(), salt_, 14);
  for (int i = 0; i < 4; ++i) iv[4 + i] ^= packet[8 + i];
  for (int i = 0; i < 6; ++i) iv[8 + i] ^= static_cast<uint8_t>(packet_index >> (40 - 8 * i));

  int out = 0;
  uint8_t* payload = packet + header;
  const int payload_length = static_cast<int>(length - header);
  if (EVP_EncryptInit_ex(cipher_, nullptr, nullptr, nullptr, iv.data()) != 1 ||
      (payload_length > 0 &&
       EVP_EncryptUpdate(cipher_, payload, &out, payload, payload_length) != 1)) {
    return false;
  }
  // RFC 3711 section 4.2: HMAC-SHA1 over the packet and the ROC, the first 80 bits appended.
  const auto roc = static_cast<uint32_t>(packet_index >> 16);
  const uint8_t roc_bytes[4] = {static_cast<uint8_t>(roc >> 24), static_cast<uint8_t>(roc >> 16),
                                static_cast<uint8_t>(roc >> 8), static_cast<uint8_t>(roc)};
  uint8_t tag[20];
  size_t tag_length = 0;
  if (EVP_MAC_init(mac_, nullptr, 0, nullptr) != 1 || EVP_MAC_update(mac_, packet, length) != 1 ||
      EVP_MAC_update(mac_, roc_bytes, sizeof roc_bytes) != 1 ||
      EVP_MAC_final(mac_, tag, &tag_length, sizeof tag) != 1 || tag_length != sizeof tag) {
    return false;
  }
  std::memcpy(packet + length, tag, 10);
  return true;
}

}  // namespace mgw::dp
