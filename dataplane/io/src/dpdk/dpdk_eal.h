#pragma once

#include <string>
#include <vector>

namespace mgw::io {

// EAL can be initialised once per process and never again after rte_eal_cleanup, so it is held
// for the process lifetime: the first call runs rte_eal_init with `args`, later calls only check
// that they ask for the same arguments. rte_eal_cleanup runs at exit (and the runtime directory,
// /var/run/dpdk/<file-prefix>, is removed when empty). Control thread only.
bool EnsureEal(const std::vector<std::string>& args, std::string* error);

}  // namespace mgw::io
