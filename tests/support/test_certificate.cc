#include "test_certificate.h"

#include <chrono>
#include <stdexcept>

#include "child_process.h"

namespace mgw::testing {

TestCertificate MakeTestCertificate(const TempDir& dir, const std::string& name) {
  TestCertificate out{dir.File(name + ".crt"), dir.File(name + ".key")};
  ChildProcess openssl(
      {.args = {"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", out.key_file,
                "-out", out.cert_file},
       .env = {},
       .unset_env = {}});
  std::optional<int> status = openssl.WaitForExit(std::chrono::seconds(30));
  if (!status || *status != 0) {
    throw std::runtime_error("openssl req failed: " + openssl.output());
  }
  return out;
}

}  // namespace mgw::testing
