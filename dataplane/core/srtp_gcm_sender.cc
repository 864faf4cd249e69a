#include "mgw/dp/srtp_gcm_sender.h"

#include <openssl/evp.h>
#include <string.h>

#include <array>
#include <cstring>
#include <stdexcept>
#include <string>

namespace mgw::dp {
namespace {

constexpr size_t kMasterKeySize = 16;
constexpr size_t kMasterSaltSize = 12;
constexpr uint8_t kLabelRtpEncryption = 0x00;
constexpr uint8_t kLabelRtpSalt = 0x02;
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

SrtpGcmSender::SrtpGcmSender(std::span<const uint8_t> key_material) {
  if (key_material.size() != kMasterKeySize + kMasterSaltSize) {
    throw std::invalid_argument("AEAD_AES_128_GCM key material must be " +
                                std::to_string(kMasterKeySize + kMasterSaltSize) + " bytes, got " +
                                std::to_string(key_material.size()));
  }
  const auto master_key = key_material.first(kMasterKeySize);
  const auto master_salt = key_material.subspan(kMasterKeySize);
  std::array<uint8_t, 16> session_key{};
  DeriveSessionKey(master_key, master_salt, kLabelRtpEncryption, session_key);
  DeriveSessionKey(master_key, master_salt, kLabelRtpSalt, std::span<uint8_t>(salt_));
  ctx_ = EVP_CIPHER_CTX_new();
  const bool ok = ctx_ != nullptr &&
                  EVP_EncryptInit_ex(ctx_, EVP_aes_128_gcm(), nullptr, nullptr, nullptr) == 1 &&
                  EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) == 1 &&
                  EVP_EncryptInit_ex(ctx_, nullptr, nullptr, session_key.data(), nullptr) == 1;
  explicit_bzero(session_key.data(), session_key.size());
  if (!ok) {
    EVP_CIPHER_CTX_free(ctx_);
    explicit_bzero(salt_, sizeof salt_);
    throw std::runtime_error("SRTP AES-GCM context set-up failed (OpenSSL)");
  }
}

SrtpGcmSender::~SrtpGcmSender() {
  EVP_CIPHER_CTX_free(ctx_);  // frees (and clears) the key schedule
  explicit_bzero(salt_, sizeof salt_);
}

DropReason SrtpGcmSender::ProtectRtp(std::span<uint8_t> buffer, size_t* size,
                                     SrtpSendIndex& index) {
  const size_t length = *size;
  if (length < 12 || length + kTagSize > buffer.size()) return DropReason::kSrtpError;
  uint8_t* packet = buffer.data();
  // The associated data: fixed header, CSRCs, header extension (RFC 3550 section 5.3.1).
  size_t header = 12 + 4 * size_t{packet[0] & 0x0fu};
  if ((packet[0] & 0x10) != 0) {
    if (header + 4 > length) return DropReason::kSrtpError;
    header += 4 + 4 * size_t{Load16(packet + header + 2)};
  }
  if (header > length) return DropReason::kSrtpError;

  const uint16_t seq = Load16(packet + 2);
  int64_t delta = 0;
  const uint64_t packet_index = EstimateIndex(index.highest, seq, &delta);
  if (delta <= -kReplayWindow) return DropReason::kSrtpReplay;

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
  if (EVP_EncryptInit_ex(ctx_, nullptr, nullptr, nullptr, iv.data()) != 1 ||
      EVP_EncryptUpdate(ctx_, nullptr, &out, packet, static_cast<int>(header)) != 1 ||
      (payload_length > 0 &&
       EVP_EncryptUpdate(ctx_, payload, &out, payload, payload_length) != 1) ||
      EVP_EncryptFinal_ex(ctx_, payload + payload_length, &out) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize),
                          packet + length) != 1) {
    return DropReason::kSrtpError;
  }
  if (delta > 0) index.highest = packet_index;
  *size = length + kTagSize;
  return DropReason::kNone;
}

}  // namespace mgw::dp
