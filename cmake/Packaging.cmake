# Install rules and the Debian package (cpack -G DEB in a build directory):
#   /usr/bin/market-collector, /lib/systemd/system/market-collector.service,
#   /etc/market-collector/{collector.yaml,collector.env} (conffiles), /usr/share/doc/market-collector/.
# The maintainer scripts in packaging/deb create the system user; nothing starts the service.

set(MC_PACKAGING_DIR "${PROJECT_SOURCE_DIR}/packaging/deb")

install(TARGETS market-collector RUNTIME DESTINATION bin)
install(FILES "${PROJECT_SOURCE_DIR}/systemd/market-collector.service" DESTINATION /lib/systemd/system)
install(FILES "${PROJECT_SOURCE_DIR}/configs/collector.yaml" DESTINATION /etc/market-collector)
# The operator may add a secret here (BINANCE_API_KEY); systemd reads the file as root.
install(FILES "${PROJECT_SOURCE_DIR}/.env.example" DESTINATION /etc/market-collector RENAME collector.env
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(FILES "${PROJECT_SOURCE_DIR}/README.md" "${PROJECT_SOURCE_DIR}/docs/RUNBOOK.md"
              "${MC_PACKAGING_DIR}/copyright"
        DESTINATION share/doc/market-collector)

# cpack runs the "preinstall" target, which otherwise builds every test too (minutes); the package
# holds the collector only, so build that (cmake --build <dir> --target market-collector) first.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY TRUE)

set(MC_PACKAGE_MAINTAINER "market-collector maintainers <maintainers@users.noreply.b-seed-871dfc95.example>"
    CACHE STRING "Maintainer field of the Debian package")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME market-collector)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "${MC_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Binance trade streams to S3 as rotated gzip parts with manifests")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# The summary is the synopsis line; this is the long description under it.
string(CONCAT CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Captures the @trade WebSocket stream of one or more Binance symbols and lands every event raw in\n"
    "Amazon S3 (or a local directory) as rotated gzip JSON-lines parts, each with a manifest. Runs\n"
    "under systemd as the market-collector user; configure /etc/market-collector/collector.env,\n"
    "then systemctl enable --now market-collector.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies come from dpkg-shlibdeps; these are what the scripts and TLS need besides.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, ca-certificates")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${MC_PACKAGING_DIR}/conffiles;${MC_PACKAGING_DIR}/postinst;${MC_PACKAGING_DIR}/prerm;${MC_PACKAGING_DIR}/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
if(CMAKE_BUILD_TYPE MATCHES "^(Release|RelWithDebInfo|MinSizeRel)$")
  set(CPACK_STRIP_FILES TRUE)
endif()

include(CPack)
