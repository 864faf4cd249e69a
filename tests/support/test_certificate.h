#pragma once

#include <string>

#include "temp_dir.h"

namespace mgw::testing {

// A self-signed certificate for 127.0.0.1 and localhost (EC P-256, one day), made by the openssl
// CLI into `dir`: <name>.crt and <name>.key. The certificate is its own CA, so a client trusts it
// with --cacert <name>.crt. Throws std::runtime_error with openssl's output when it fails.
struct TestCertificate {
  std::string cert_file;
  std::string key_file;
};

TestCertificate MakeTestCertificate(const TempDir& dir, const std::string& name);

}  // namespace mgw::testing
