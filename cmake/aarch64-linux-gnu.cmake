# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Cross-compiling netrace for aarch64 on an x86_64 Debian host:
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
# Needs gcc-aarch64-linux-gnu and the arm64 multiarch -dev packages
# (dpkg --add-architecture arm64; libc6-dev:arm64 libbpf-dev:arm64
# libelf-dev:arm64 zlib1g-dev:arm64 libzstd-dev:arm64 libcap-ng-dev:arm64);
# clang and bpftool are the host's (BPF code is the same for every
# architecture but the register layout, -D__TARGET_ARCH_arm64).  With
# qemu-user-static, ctest runs the aarch64 test programs through it.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(NR_CROSS_TRIPLET aarch64-linux-gnu)

# pkg-config reads the target's .pc files, and only those.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

find_program(NR_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64)
if(NR_QEMU_AARCH64)
	set(CMAKE_CROSSCOMPILING_EMULATOR ${NR_QEMU_AARCH64})
endif()
