# Every library mgw links comes from Debian 12 packages (deploy/install-deps.sh installs them).
# Optional ones switch their component off with one clear line instead of failing the build.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

# dataplane
if(MGW_ENABLE_DPDK)
  pkg_check_modules(DPDK IMPORTED_TARGET libdpdk)
endif()
if(DPDK_FOUND)
  set(MGW_HAVE_DPDK ON)
  message(STATUS "mgw: dpdk backend ON (libdpdk ${DPDK_VERSION})")
else()
  set(MGW_HAVE_DPDK OFF)
  message(STATUS "mgw: dpdk backend OFF (libdpdk not found by pkg-config, or MGW_ENABLE_DPDK=OFF); uring and posix backends still build")
endif()
pkg_check_modules(URING REQUIRED IMPORTED_TARGET liburing)
pkg_check_modules(SRTP2 REQUIRED IMPORTED_TARGET libsrtp2)

# recorder
pkg_check_modules(OPUS REQUIRED IMPORTED_TARGET opus)
pkg_check_modules(LIBAV REQUIRED IMPORTED_TARGET libavformat libavcodec libavutil)

# controlplane
find_package(Boost 1.81 REQUIRED CONFIG COMPONENTS json)
find_package(OpenSSL REQUIRED)
find_package(CURL REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(PostgreSQL REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(JWT REQUIRED IMPORTED_TARGET libjwt)

# shared
find_package(CLI11 REQUIRED CONFIG)
find_package(spdlog REQUIRED CONFIG)
find_package(fmt REQUIRED CONFIG)
pkg_check_modules(TOMLPP REQUIRED IMPORTED_TARGET tomlplusplus)

# tests and benchmarks
if(MGW_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(MGW_BUILD_PERF)
  find_package(benchmark REQUIRED)
endif()
