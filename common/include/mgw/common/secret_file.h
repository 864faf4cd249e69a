#pragma once

#include <string>

#include "mgw/common/secret.h"

namespace mgw {

// A secret two daemons share without configuration (e.g. the recorder's credential towards the
// control plane under `make run`): `configured` when it is not empty; else the first line of
// `path`, which whichever daemon comes first creates atomically (mode 0600, 32 random bytes as
// base64url). Throws std::runtime_error naming the path when it can be neither read nor created.
Secret LoadOrCreateSecretFile(const Secret& configured, const std::string& path);

}  // namespace mgw
