# Cross-build replay for aarch64 (Debian's gcc-aarch64-linux-gnu).
#   tools/aarch64-sysroot.sh     # arm64 libyaml/libcyaml into build-aarch64-sysroot/
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-toolchain.cmake \
#         -DREPLAY_STATIC=ON -DCMAKE_BUILD_TYPE=Release
#   cmake --build build-aarch64 --target replay
# glibc and the kernel headers come from the cross toolchain (libc6-dev-arm64-cross,
# /usr/aarch64-linux-gnu); only libyaml/libcyaml come from the sysroot.
# REPLAY_AARCH64_SYSROOT overrides the sysroot location.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

if(NOT REPLAY_AARCH64_SYSROOT)
  if(DEFINED ENV{REPLAY_AARCH64_SYSROOT})
    set(REPLAY_AARCH64_SYSROOT $ENV{REPLAY_AARCH64_SYSROOT})
  else()
    get_filename_component(REPLAY_AARCH64_SYSROOT "${CMAKE_CURRENT_LIST_DIR}/../build-aarch64-sysroot" ABSOLUTE)
  endif()
endif()
# Try-compile projects load this file again; pass the value through.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES REPLAY_AARCH64_SYSROOT)
if(NOT EXISTS "${REPLAY_AARCH64_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig/libcyaml.pc")
  message(FATAL_ERROR "no aarch64 sysroot in ${REPLAY_AARCH64_SYSROOT}: run tools/aarch64-sysroot.sh")
endif()

set(CMAKE_FIND_ROOT_PATH "${REPLAY_AARCH64_SYSROOT}" /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)   # python3, pkg-config: host programs
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# pkg-config sees only the sysroot's .pc files; their /usr paths get the sysroot prefix.
set(ENV{PKG_CONFIG_LIBDIR} "${REPLAY_AARCH64_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${REPLAY_AARCH64_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${REPLAY_AARCH64_SYSROOT}")
set(ENV{PKG_CONFIG_PATH} "")
# Run aarch64 test binaries through qemu-user when it is installed.
find_program(REPLAY_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64)
if(REPLAY_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${REPLAY_QEMU_AARCH64})
endif()
