# Install rules and the Debian package (CPack DEB generator).
#
#   cmake --build build --target package        # or: cd build && cpack -G DEB
#   -> build/mgw_<version>-<release>_<arch>.deb
#
# Layout (Debian 12): programs in /usr/bin (/usr/sbin for the host preparation helper), units in
# /lib/systemd/system (where bookworm's packages and debhelper put them), sysusers.d/tmpfiles.d in
# /usr/lib, the configuration in /etc/mgw, documentation in /usr/share/doc/mgw. The units name
# /usr/bin/... in ExecStart=, so the package prefix is fixed to /usr.
#
# The paths outside the prefix (/etc, /lib/systemd) are absolute install destinations. A plain
# `cmake --install` therefore writes to the real /etc and /lib; stage with DESTDIR instead:
#   DESTDIR=/tmp/stage cmake --install build --prefix /usr
# CPack stages absolute destinations in its own directory by itself. (Do not set
# CPACK_SET_DESTDIR: CPack then ignores CPACK_PACKAGING_INSTALL_PREFIX and packages /usr/local.)
#
# Every install(TARGETS) is guarded by if(TARGET): the package builds from whatever programs the
# tree has, and picks the others up at the next configure once they exist.

include(GNUInstallDirs)

set(MGW_SYSTEMD_UNITDIR "/lib/systemd/system" CACHE PATH "Where the systemd units are installed")
set(MGW_SYSUSERSDIR "/usr/lib/sysusers.d" CACHE PATH "Where the sysusers.d file is installed")
set(MGW_TMPFILESDIR "/usr/lib/tmpfiles.d" CACHE PATH "Where the tmpfiles.d file is installed")
set(MGW_SYSCONFDIR "/etc/mgw" CACHE PATH "Where mgw.toml is installed")
set(MGW_PACKAGE_MAINTAINER "mgw maintainers <mgw-maintainers@example.invalid>"
  CACHE STRING "Maintainer field of the Debian package")
set(MGW_PACKAGE_RELEASE "1" CACHE STRING "Debian revision of the package (version-RELEASE)")
option(MGW_PACKAGE_STRIP "Strip the programs in the package (debug info stays in the build tree)" ON)

set(_mgw_deploy ${PROJECT_SOURCE_DIR}/deploy)
set(_mgw_docdir ${CMAKE_INSTALL_DATAROOTDIR}/doc/mgw)
set(_mgw_pkgdir ${PROJECT_BINARY_DIR}/packaging)

# --- Programs --------------------------------------------------------------------------------
set(MGW_PACKAGED_PROGRAMS "")
foreach(_prog IN ITEMS mgw-dataplane mgw-controlplane mgw-recorder mgwctl)
  if(TARGET ${_prog})
    get_target_property(_type ${_prog} TYPE)
    if(_type STREQUAL "EXECUTABLE")
      install(TARGETS ${_prog} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
      list(APPEND MGW_PACKAGED_PROGRAMS ${_prog})
    else()
      message(WARNING "mgw packaging: target ${_prog} is a ${_type}, not an executable; not packaged")
    endif()
  endif()
endforeach()
if(MGW_PACKAGED_PROGRAMS)
  message(STATUS "mgw packaging: programs in the package: ${MGW_PACKAGED_PROGRAMS}")
else()
  message(STATUS "mgw packaging: no programs built yet; the package holds units and docs only")
endif()
install(PROGRAMS ${_mgw_deploy}/host-prep/prepare-host.sh
  DESTINATION ${CMAKE_INSTALL_SBINDIR} RENAME mgw-prepare-host)

# --- systemd ---------------------------------------------------------------------------------
set(MGW_SYSTEMD_UNITS mgw.target mgw-dataplane.service mgw-controlplane.service
  mgw-recorder.service mgw-host-prep.service)
list(TRANSFORM MGW_SYSTEMD_UNITS PREPEND ${_mgw_deploy}/systemd/ OUTPUT_VARIABLE _mgw_unit_files)
install(FILES ${_mgw_unit_files} DESTINATION ${MGW_SYSTEMD_UNITDIR})
install(FILES ${_mgw_deploy}/systemd/mgw.sysusers DESTINATION ${MGW_SYSUSERSDIR} RENAME mgw.conf)
install(FILES ${_mgw_deploy}/systemd/mgw.tmpfiles DESTINATION ${MGW_TMPFILESDIR} RENAME mgw.conf)

# --- Configuration (conffile) ----------------------------------------------------------------
# GLOB with CONFIGURE_DEPENDS: the build re-runs cmake when deploy/mgw.toml appears or goes.
file(GLOB _mgw_toml CONFIGURE_DEPENDS ${_mgw_deploy}/mgw.toml)
set(_mgw_conffiles "")
if(_mgw_toml)
  install(FILES ${_mgw_toml} DESTINATION ${MGW_SYSCONFDIR})
  string(APPEND _mgw_conffiles "${MGW_SYSCONFDIR}/mgw.toml\n")
else()
  message(STATUS "mgw packaging: deploy/mgw.toml not found; the package ships no /etc/mgw/mgw.toml")
endif()

# --- Documentation and examples --------------------------------------------------------------
install(FILES ${_mgw_deploy}/README.md DESTINATION ${_mgw_docdir})
install(FILES ${_mgw_deploy}/host-prep/README.md DESTINATION ${_mgw_docdir} RENAME HOST-PREP.md)
install(FILES
  ${_mgw_deploy}/mgw.env.example
  ${_mgw_deploy}/host-prep/host-prep.conf.example
  ${_mgw_deploy}/host-prep/90-mgw-vfio.rules
  ${_mgw_deploy}/host-prep/mgw-dataplane-noiommu.conf
  DESTINATION ${_mgw_docdir}/examples)

# --- What the package must contain (read by tests/deploy/package_test.sh) ----------------------
set(_mgw_expected "")
foreach(_prog IN LISTS MGW_PACKAGED_PROGRAMS)
  string(APPEND _mgw_expected "program /usr/${CMAKE_INSTALL_BINDIR}/${_prog}\n")
endforeach()
foreach(_unit IN LISTS MGW_SYSTEMD_UNITS)
  string(APPEND _mgw_expected "unit ${MGW_SYSTEMD_UNITDIR}/${_unit}\n")
endforeach()
string(APPEND _mgw_expected
  "file /usr/${CMAKE_INSTALL_SBINDIR}/mgw-prepare-host\n"
  "file ${MGW_SYSUSERSDIR}/mgw.conf\n"
  "file ${MGW_TMPFILESDIR}/mgw.conf\n"
  "file /usr/${_mgw_docdir}/README.md\n"
  "file /usr/${_mgw_docdir}/HOST-PREP.md\n")
if(_mgw_toml)
  string(APPEND _mgw_expected "conffile ${MGW_SYSCONFDIR}/mgw.toml\n")
endif()
file(CONFIGURE OUTPUT ${_mgw_pkgdir}/expected-contents.txt CONTENT "${_mgw_expected}")

# --- Debian maintainer scripts and conffiles -------------------------------------------------
# Copied into the build tree so that CPack's strict permissions apply to copies, not the sources.
foreach(_script IN ITEMS postinst prerm postrm)
  configure_file(${_mgw_deploy}/debian/${_script} ${_mgw_pkgdir}/debian/${_script} COPYONLY)
endforeach()
file(CONFIGURE OUTPUT ${_mgw_pkgdir}/debian/conffiles CONTENT "${_mgw_conffiles}")
set(_mgw_control_extra ${_mgw_pkgdir}/debian/postinst ${_mgw_pkgdir}/debian/prerm
  ${_mgw_pkgdir}/debian/postrm)
if(_mgw_conffiles)
  list(APPEND _mgw_control_extra ${_mgw_pkgdir}/debian/conffiles)
endif()

# --- CPack -----------------------------------------------------------------------------------
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "mgw")
set(CPACK_PACKAGE_VENDOR "mgw")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "${MGW_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DIRECTORY "${PROJECT_BINARY_DIR}")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ${MGW_PACKAGE_STRIP})
# Never let `package_source` sweep up build trees, VCS data or editor files.
set(CPACK_SOURCE_GENERATOR "TXZ")
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build/" "/node_modules/" "/\\\\.gl/" "\\\\.swp$")

set(CPACK_DEBIAN_PACKAGE_NAME "mgw")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE "${MGW_PACKAGE_RELEASE}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${MGW_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.invalid/mgw")
# Synopsis: CPACK_PACKAGE_DESCRIPTION_SUMMARY. Body: plain paragraphs; CPack indents them and turns
# empty lines into " ." (deb-control(5)).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "mgw forwards RTP/RTCP between the participants of video conferences
(mgw-dataplane: DPDK, io_uring or plain sockets), serves an HTTP/WebSocket
API for control systems (mgw-controlplane) and records meetings into files
and object storage (mgw-recorder). mgwctl drives the API from a shell.

The services run as the system user mgw under systemd and are not started
on installation.")
# Library dependencies come from dpkg-shlibdeps; these are the others. The postinst creates the
# user with systemd-sysusers (Provided by systemd in Debian 12) or adduser.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd-sysusers | adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "systemd")
# dpdk: dpdk-devbind.py and dpdk-hugepages.py for host preparation (mgw-prepare-host).
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "dpdk, postgresql")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${_mgw_control_extra}")
# Maintainer scripts 0755, conffiles 0644, as dpkg expects.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

include(CPack)
