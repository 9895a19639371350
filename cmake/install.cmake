# `cmake --install build --prefix P` puts kmgrade in P/bin, its guest agent in P/libexec/kmgrade
# and the labs (rubric and reference files) in P/share/kmgrade; kmgrade finds them from its own
# binary, so the prefix can be anything and the source tree is not needed once installed.
install(TARGETS kmgrade RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS kmgrade-agent RUNTIME DESTINATION ${KMGRADE_LIBEXEC_DIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/rubric ${PROJECT_SOURCE_DIR}/reference DESTINATION ${KMGRADE_SHARE_DIR})
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

# `cpack --config build/CPackConfig.cmake` (scripts/package) makes a Debian package for
# `apt install ./kmgrade_*.deb`: its Depends are the libraries the binaries link (dpkg-shlibdeps)
# and the programs a grade runs.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME kmgrade)
set(CPACK_PACKAGE_CONTACT "kmgrade maintainers <kmgrade@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "grades Linux kernel-module labs by watching what the kernel did")
set(CPACK_PACKAGE_DESCRIPTION
    "kmgrade builds each student module against Debian's kernel headers, loads it in a sandbox VM booting Debian's kernel, and checks what the kernel saw (tracepoints, kernel log, slab caches) against reference modules. It grades one submission, a Moodle class download, or a shard of a class on a cluster.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# What a grade runs: Kbuild (make, the headers, their compiler), objcopy and ldd for the sandbox
# image, QEMU and the kernel it boots, bwrap around every student build, sim_c for similarity.
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "make, binutils, bubblewrap, qemu-system-x86, linux-image-amd64, linux-headers-amd64, similarity-tester")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "gnuplot-nox")
include(CPack)
